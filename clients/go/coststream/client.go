package coststream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxBatch is the server's default watcher.max_batch_points.
const DefaultMaxBatch = 1000

// Client sends points to one Finance Ops Pack API; New fills in the defaults.
type Client struct {
	BaseURL     string        // e.g. "http://127.0.0.1:8787"
	Token       string        // an API token whose subject holds costs:write
	HTTP        *http.Client  // requests time out after 30 s by default
	MaxBatch    int           // points per request; a 413 halves it for that batch
	MaxAttempts int           // per batch, the first try included
	BaseDelay   time.Duration // first backoff; it doubles per attempt, with full jitter
	MaxDelay    time.Duration // cap of one wait, Retry-After included

	// sleep waits between attempts; tests replace it to observe the waits.
	sleep func(ctx context.Context, d time.Duration) error
	mu    sync.Mutex
	rng   *rand.Rand
}

// New returns a client with the defaults: batches of 1,000, 5 attempts, 0.5 s to 30 s waits.
func New(baseURL, token string) *Client {
	return &Client{
		BaseURL:     strings.TrimRight(baseURL, "/"),
		Token:       token,
		HTTP:        &http.Client{Timeout: 30 * time.Second},
		MaxBatch:    DefaultMaxBatch,
		MaxAttempts: 5,
		BaseDelay:   500 * time.Millisecond,
		MaxDelay:    30 * time.Second,
		sleep:       sleepContext,
		rng:         rand.New(rand.NewSource(time.Now().UnixNano())),
	}
}

// TokenFromEnv reads FINANCE_API_TOKEN, else the file FINANCE_API_TOKEN_FILE names.
func TokenFromEnv() (string, error) {
	if token := os.Getenv("FINANCE_API_TOKEN"); token != "" {
		return token, nil
	}
	path := os.Getenv("FINANCE_API_TOKEN_FILE")
	if path == "" {
		return "", errors.New("set FINANCE_API_TOKEN or FINANCE_API_TOKEN_FILE (a token with costs:write)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("FINANCE_API_TOKEN_FILE: %w", err)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("FINANCE_API_TOKEN_FILE: %s is empty", path)
	}
	return token, nil
}

// Result adds up the server's answers to every batch sent.
type Result struct {
	Batches         int   `json:"batches"`
	Accepted        int   `json:"accepted"`
	Duplicates      int   `json:"duplicates"` // already received: a resend is never counted twice
	Late            int   `json:"late"`
	Revised         int   `json:"revised"`
	Anomalies       int   `json:"anomalies"`
	IncidentsOpened []int `json:"incidents_opened"`
}

type answer struct {
	Accepted        int   `json:"accepted"`
	Duplicates      int   `json:"duplicates"`
	Late            int   `json:"late"`
	Revised         int   `json:"revised"`
	Anomalies       int   `json:"anomalies"`
	IncidentsOpened []int `json:"incidents_opened"`
}

func (r *Result) add(a answer) {
	r.Batches++
	r.Accepted += a.Accepted
	r.Duplicates += a.Duplicates
	r.Late += a.Late
	r.Revised += a.Revised
	r.Anomalies += a.Anomalies
	r.IncidentsOpened = append(r.IncidentsOpened, a.IncidentsOpened...)
}

// PartialError says how many points were delivered before a batch failed for good; the
// points from Sent on were not (resending them all is safe: the server de-duplicates).
type PartialError struct {
	Sent int
	Err  error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("points [0, %d) were delivered, the rest were not: %v", e.Sent, e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

// Send validates every point, then posts them in batches. Resending after a timeout or a
// 5xx is safe: the watcher keeps one value per series and interval and counts a resent point
// as a duplicate, so nothing is counted twice.
func (c *Client) Send(ctx context.Context, points []Point) (Result, error) {
	result := Result{IncidentsOpened: []int{}}
	for i, point := range points {
		if err := point.Validate(i); err != nil {
			return result, err
		}
	}
	size := c.MaxBatch
	if size <= 0 {
		size = DefaultMaxBatch
	}
	for start := 0; start < len(points); {
		end := start + size
		if end > len(points) {
			end = len(points)
		}
		got, err := c.postBatch(ctx, points[start:end], start)
		var tooLarge *Problem
		if errors.As(err, &tooLarge) && tooLarge.Status == http.StatusRequestEntityTooLarge && end-start > 1 {
			size = (end - start) / 2 // the server's limit is lower than ours: halve, keep going
			continue
		}
		if err != nil {
			return result, &PartialError{Sent: start, Err: err}
		}
		result.add(got)
		start = end
	}
	return result, nil
}

func (c *Client) postBatch(ctx context.Context, batch []Point, offset int) (answer, error) {
	var body bytes.Buffer
	encoder := json.NewEncoder(&body) // one point per line: NDJSON
	for _, point := range batch {
		if err := encoder.Encode(point); err != nil {
			return answer{}, err
		}
	}
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 1
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		got, retryAfter, err := c.postOnce(ctx, body.Bytes(), offset)
		if err == nil {
			return got, nil
		}
		lastErr = err
		if !retryable(err) || attempt >= attempts || ctx.Err() != nil {
			if attempt > 1 {
				return answer{}, fmt.Errorf("after %d attempts: %w", attempt, lastErr)
			}
			return answer{}, lastErr
		}
		sleep := c.sleep
		if sleep == nil {
			sleep = sleepContext
		}
		if err := sleep(ctx, c.wait(attempt, retryAfter)); err != nil {
			return answer{}, fmt.Errorf("%v (then %w)", lastErr, err)
		}
	}
}

func (c *Client) postOnce(ctx context.Context, body []byte, offset int) (answer, time.Duration, error) {
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/v1/costs/stream", bytes.NewReader(body))
	if err != nil {
		return answer{}, 0, err
	}
	request.Header.Set("Authorization", "Bearer "+c.Token)
	request.Header.Set("Content-Type", "application/x-ndjson")
	request.Header.Set("Accept", "application/json, application/problem+json")
	request.Header.Set("User-Agent", "finance-pack-coststream-go/1")
	response, err := c.HTTP.Do(request)
	if err != nil {
		return answer{}, 0, &transportError{err}
	}
	defer response.Body.Close()
	payload, err := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	if err != nil {
		return answer{}, 0, &transportError{err}
	}
	if response.StatusCode == http.StatusAccepted || response.StatusCode == http.StatusOK {
		var got answer
		if err := json.Unmarshal(payload, &got); err != nil {
			return answer{}, 0, fmt.Errorf("unreadable answer from the API: %w", err)
		}
		return got, 0, nil
	}
	retryAfter := parseRetryAfter(response.Header.Get("Retry-After"), time.Now())
	return answer{}, retryAfter, parseProblem(response.StatusCode, payload, offset)
}

type transportError struct{ err error }

func (e *transportError) Error() string { return "network error: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var transport *transportError
	if errors.As(err, &transport) {
		return true // the caller's own cancellation is checked apart, before any retry
	}
	var problem *Problem
	if errors.As(err, &problem) {
		switch problem.Status {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	return false
}

// wait is the pause before the next attempt: the server's Retry-After when it gave one,
// else an exponential backoff with full jitter; never more than MaxDelay.
func (c *Client) wait(attempt int, retryAfter time.Duration) time.Duration {
	limit := c.MaxDelay
	if limit <= 0 {
		limit = 30 * time.Second
	}
	if retryAfter > 0 {
		if retryAfter > limit {
			return limit
		}
		return retryAfter
	}
	ceiling := c.BaseDelay << (attempt - 1)
	if ceiling <= 0 || ceiling > limit {
		ceiling = limit
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rng == nil {
		c.rng = rand.New(rand.NewSource(time.Now().UnixNano()))
	}
	return time.Duration(c.rng.Int63n(int64(ceiling) + 1))
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if seconds, err := strconv.Atoi(value); err == nil {
		if seconds < 0 {
			return 0
		}
		return time.Duration(seconds) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
