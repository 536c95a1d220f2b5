package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodLine = `{"dimensions": {"provider": "aws", "account": "1111"}, "start": "2026-11-02T10:00:00Z", "end": "2026-11-02T11:00:00Z", "cost": 12.30, "currency": "USD"}`

func TestPointsFromFilesAreSentAndTheAnswerPrintedAsJson(t *testing.T) {
	var got string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = string(body)
		w.WriteHeader(202)
		_, _ = io.WriteString(w, `{"accepted": 2, "anomalies": 1, "incidents_opened": [4]}`)
	}))
	defer server.Close()
	t.Setenv("FINANCE_API_TOKEN", "fin_x")
	file := filepath.Join(t.TempDir(), "points.ndjson")
	second := strings.Replace(goodLine, "10:00", "09:00", 1)
	second = strings.Replace(second, "11:00", "10:00", 1)
	if err := os.WriteFile(file, []byte(goodLine+"\n\n"+second+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer

	code := run([]string{"-url", server.URL, file}, strings.NewReader(""), &stdout, &stderr)

	if code != 0 || !strings.Contains(stdout.String(), `"incidents_opened": [`) || !strings.Contains(stdout.String(), `"accepted": 2`) {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, stdout.String(), stderr.String())
	}
	// A JSON number keeps its text: 12.30 goes as "12.30", never through a float.
	if strings.Count(got, `"cost":"12.30"`) != 2 {
		t.Fatalf("sent %s", got)
	}
}

func TestABadPointIsNamedByFileLineAndFieldWithExit2(t *testing.T) {
	t.Setenv("FINANCE_API_TOKEN", "fin_x")
	bad := strings.Replace(goodLine, `"USD"`, `"dollars"`, 1)
	var stdout, stderr bytes.Buffer

	code := run([]string{"-url", "http://127.0.0.1:9"}, strings.NewReader(goodLine+"\n"+bad+"\n"), &stdout, &stderr)

	if code != 2 || !strings.Contains(stderr.String(), "<stdin>:2: currency") {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
}

func TestAnUnreadableLineIsNamedWithExit2(t *testing.T) {
	t.Setenv("FINANCE_API_TOKEN", "fin_x")
	var stdout, stderr bytes.Buffer

	code := run(nil, strings.NewReader(goodLine+"\n{\"cost\": \n"), &stdout, &stderr)

	if code != 2 || !strings.Contains(stderr.String(), "<stdin>:2:") {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
}

func TestWithoutATokenItSaysWhereOneComesFrom(t *testing.T) {
	t.Setenv("FINANCE_API_TOKEN", "")
	t.Setenv("FINANCE_API_TOKEN_FILE", "")
	var stdout, stderr bytes.Buffer

	code := run(nil, strings.NewReader(goodLine), &stdout, &stderr)

	if code != 2 || !strings.Contains(stderr.String(), "FINANCE_API_TOKEN") {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
}
