package coststream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

var hour = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func point(i int, cost string) Point {
	start := hour.Add(time.Duration(i) * time.Hour)
	return Point{
		Dimensions: map[string]string{"provider": "aws", "account": "111122223333", "service": "AmazonEC2"},
		Start:      start,
		End:        start.Add(time.Hour),
		Cost:       Amount(cost),
		Currency:   "usd",
	}
}

func points(n int) []Point {
	out := make([]Point, n)
	for i := range out {
		out[i] = point(i, "1.25")
	}
	return out
}

// recorder is a stand-in API: it records each request and answers from a script.
type recorder struct {
	mu      sync.Mutex
	bodies  [][]map[string]any
	headers []http.Header
	answer  func(call int, lines int) (int, http.Header, string)
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var lines []map[string]any
	scanner := bufio.NewScanner(req.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		var item map[string]any
		decoder := json.NewDecoder(strings.NewReader(scanner.Text()))
		decoder.UseNumber()
		if err := decoder.Decode(&item); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		lines = append(lines, item)
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, lines)
	r.headers = append(r.headers, req.Header.Clone())
	call := len(r.bodies)
	r.mu.Unlock()
	status, headers, body := 202, http.Header{}, fmt.Sprintf(`{"accepted": %d, "duplicates": 0, "late": 0, "revised": 0, "anomalies": 0, "incidents_opened": []}`, len(lines))
	if r.answer != nil {
		status, headers, body = r.answer(call, len(lines))
	}
	for name, values := range headers {
		w.Header()[name] = values
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func newClient(t *testing.T, handler http.Handler) (*Client, *[]time.Duration) {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	client := New(server.URL, "fin_token")
	waits := &[]time.Duration{}
	client.sleep = func(_ context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return nil
	}
	return client, waits
}

func TestPointsGoAsNdjsonWithTheTokenExactCostsAndUtcTimes(t *testing.T) {
	api := &recorder{}
	client, _ := newClient(t, api)
	paris := time.FixedZone("CET", 3600)
	p := point(0, "1234.56789")
	p.Start, p.End = p.Start.In(paris), p.End.In(paris)

	result, err := client.Send(context.Background(), []Point{p})

	if err != nil {
		t.Fatal(err)
	}
	if result.Accepted != 1 || result.Batches != 1 {
		t.Fatalf("result %+v", result)
	}
	header := api.headers[0]
	if got := header.Get("Authorization"); got != "Bearer fin_token" {
		t.Errorf("Authorization %q", got)
	}
	if got := header.Get("Content-Type"); got != "application/x-ndjson" {
		t.Errorf("Content-Type %q", got)
	}
	sent := api.bodies[0][0]
	if cost, ok := sent["cost"].(string); !ok || cost != "1234.56789" {
		t.Errorf("cost sent as %#v, want the string \"1234.56789\"", sent["cost"])
	}
	if sent["start"] != "2026-11-02T10:00:00Z" || sent["end"] != "2026-11-02T11:00:00Z" {
		t.Errorf("times sent as %v and %v", sent["start"], sent["end"])
	}
	if sent["currency"] != "USD" {
		t.Errorf("currency %v", sent["currency"])
	}
}

func TestABigSendIsSplitIntoBatchesAndTheAnswersAreAddedUp(t *testing.T) {
	api := &recorder{}
	client, _ := newClient(t, api)

	result, err := client.Send(context.Background(), points(2500))

	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{}
	for _, body := range api.bodies {
		sizes = append(sizes, len(body))
	}
	if fmt.Sprint(sizes) != "[1000 1000 500]" || result.Accepted != 2500 || result.Batches != 3 {
		t.Fatalf("batches %v, result %+v", sizes, result)
	}
}

func TestA503IsRetriedAfterTheServersRetryAfter(t *testing.T) {
	api := &recorder{answer: func(call, lines int) (int, http.Header, string) {
		if call == 1 {
			return 503, http.Header{"Retry-After": {"7"}}, `{"type": "x", "title": "Service Unavailable", "status": 503, "detail": "busy"}`
		}
		return 202, nil, `{"accepted": 3, "incidents_opened": [12]}`
	}}
	client, waits := newClient(t, api)

	result, err := client.Send(context.Background(), points(3))

	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*waits) != "[7s]" || len(api.bodies) != 2 || fmt.Sprint(result.IncidentsOpened) != "[12]" {
		t.Fatalf("waits %v, calls %d, result %+v", *waits, len(api.bodies), result)
	}
}

func TestA429WithAnHttpDateWaitsUntilThatDateCappedAtMaxDelay(t *testing.T) {
	until := time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)
	api := &recorder{answer: func(call, lines int) (int, http.Header, string) {
		if call == 1 {
			return 429, http.Header{"Retry-After": {until}}, `{"title": "Too Many Requests", "status": 429}`
		}
		return 202, nil, `{"accepted": 1}`
	}}
	client, waits := newClient(t, api)
	client.MaxDelay = 45 * time.Second

	if _, err := client.Send(context.Background(), points(1)); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*waits) != "[45s]" {
		t.Fatalf("waits %v", *waits)
	}
}

func TestBackoffWithoutRetryAfterGrowsWithJitterUnderItsCeiling(t *testing.T) {
	api := &recorder{answer: func(call, lines int) (int, http.Header, string) {
		return 502, nil, "bad gateway"
	}}
	client, waits := newClient(t, api)
	client.MaxAttempts = 4
	client.BaseDelay = time.Second

	_, err := client.Send(context.Background(), points(1))

	var problem *Problem
	if !errors.As(err, &problem) || problem.Status != 502 || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Fatalf("error %v", err)
	}
	if len(api.bodies) != 4 || len(*waits) != 3 {
		t.Fatalf("calls %d, waits %v", len(api.bodies), *waits)
	}
	for i, ceiling := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if (*waits)[i] < 0 || (*waits)[i] > ceiling {
			t.Errorf("wait %d is %v, over its ceiling %v", i, (*waits)[i], ceiling)
		}
	}
}

func TestARefusedPointIsNamedByItsIndexInTheCallersSliceAndNotRetried(t *testing.T) {
	api := &recorder{answer: func(call, lines int) (int, http.Header, string) {
		if call == 1 {
			return 202, nil, fmt.Sprintf(`{"accepted": %d}`, lines)
		}
		return 422, nil, `{"type": "t", "title": "Unprocessable Content", "status": 422, "detail": "[3].currency: EUR differs from the series' USD", "hint": "add fx_rates", "errors": [{"field": "[3].currency", "message": "EUR differs"}]}`
	}}
	client, waits := newClient(t, api)
	client.MaxBatch = 10

	_, err := client.Send(context.Background(), points(15))

	var partial *PartialError
	var problem *Problem
	if !errors.As(err, &partial) || partial.Sent != 10 || !errors.As(err, &problem) {
		t.Fatalf("error %v", err)
	}
	if problem.Errors[0].Field != "[13].currency" || !strings.HasPrefix(problem.Detail, "[13].currency") {
		t.Fatalf("problem %+v", problem)
	}
	if len(api.bodies) != 2 || len(*waits) != 0 {
		t.Fatalf("a 422 was retried: %d calls", len(api.bodies))
	}
}

func TestA413HalvesTheBatchUntilTheServerTakesIt(t *testing.T) {
	api := &recorder{answer: func(call, lines int) (int, http.Header, string) {
		if lines > 300 {
			return 413, nil, `{"title": "Content Too Large", "status": 413, "detail": "over the limit"}`
		}
		return 202, nil, fmt.Sprintf(`{"accepted": %d}`, lines)
	}}
	client, _ := newClient(t, api)

	result, err := client.Send(context.Background(), points(1000))

	if err != nil || result.Accepted != 1000 {
		t.Fatalf("result %+v, error %v", result, err)
	}
	for _, body := range api.bodies[2:] { // 1000 and 500 were refused, then 250 at a time
		if len(body) != 250 {
			t.Fatalf("batch of %d after the 413s", len(body))
		}
	}
}

func TestAConnectionDroppedMidRequestIsRetried(t *testing.T) {
	calls := 0
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(202)
		_, _ = io.WriteString(w, `{"accepted": 0, "duplicates": 2}`)
	})
	client, waits := newClient(t, handler)

	result, err := client.Send(context.Background(), points(2))

	if err != nil || result.Duplicates != 2 || calls != 2 || len(*waits) != 1 {
		t.Fatalf("result %+v, error %v, calls %d", result, err, calls)
	}
}

func TestInvalidPointsAreRefusedBeforeAnythingIsSent(t *testing.T) {
	cases := map[string]func(p *Point){
		"[4].cost":                func(p *Point) { p.Cost = "1e3" },
		"[4].dimensions.provider": func(p *Point) { delete(p.Dimensions, "provider") },
		"[4].dimensions.service":  func(p *Point) { p.Dimensions["service"] = "a|b" },
		"[4].end":                 func(p *Point) { p.End = p.Start },
		"[4].currency":            func(p *Point) { p.Currency = "dollars" },
		"[4].start":               func(p *Point) { p.Start = time.Time{} },
	}
	for want, spoil := range cases {
		api := &recorder{}
		client, _ := newClient(t, api)
		batch := points(6)
		spoil(&batch[4])

		_, err := client.Send(context.Background(), batch)

		var invalid *InvalidPointError
		if !errors.As(err, &invalid) || invalid.Location != want {
			t.Errorf("%s: got %v", want, err)
		}
		if len(api.bodies) != 0 {
			t.Errorf("%s: %d requests sent", want, len(api.bodies))
		}
	}
}

func TestAmountsAreExactDecimalText(t *testing.T) {
	for text, ok := range map[string]bool{"12.34": true, "-0.5": true, "7": true, "1e3": false, "1,000.00": false, "12.": false, "NaN": false, "": false} {
		if _, err := ParseAmount(text); (err == nil) != ok {
			t.Errorf("ParseAmount(%q): error %v", text, err)
		}
	}
	for _, c := range []struct {
		units    int64
		exponent uint
		want     Amount
	}{{1234, 2, "12.34"}, {-5, 2, "-0.05"}, {500, 0, "500"}, {1, 3, "0.001"}} {
		if got := AmountFromMinorUnits(c.units, c.exponent); got != c.want {
			t.Errorf("AmountFromMinorUnits(%d, %d) = %q, want %q", c.units, c.exponent, got, c.want)
		}
	}
}

func TestTheTokenComesFromTheEnvironmentOrItsFile(t *testing.T) {
	t.Setenv("FINANCE_API_TOKEN", "")
	path := t.TempDir() + "/token"
	t.Setenv("FINANCE_API_TOKEN_FILE", path)
	if err := os.WriteFile(path, []byte("fin_from_file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if token, err := TokenFromEnv(); err != nil || token != "fin_from_file" {
		t.Fatalf("token %q, error %v", token, err)
	}
	t.Setenv("FINANCE_API_TOKEN", "fin_direct")
	if token, _ := TokenFromEnv(); token != "fin_direct" {
		t.Fatalf("token %q", token)
	}
	t.Setenv("FINANCE_API_TOKEN", "")
	t.Setenv("FINANCE_API_TOKEN_FILE", "")
	if _, err := TokenFromEnv(); err == nil || !strings.Contains(err.Error(), "FINANCE_API_TOKEN_FILE") {
		t.Fatalf("error %v", err)
	}
}
