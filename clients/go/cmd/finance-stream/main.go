// Command finance-stream sends spend points to the Finance Ops Pack's Cost Watcher.
//
//	FINANCE_API_TOKEN_FILE=/run/secrets/finance-token \
//	  finance-stream -url http://127.0.0.1:8787 points.ndjson
//
// Input is NDJSON (one point per line) or a JSON array, from the files named or stdin, in the
// API's shape: {"dimensions": {"provider": "aws", "account": "1111", "service": "AmazonEC2"},
// "start": "2026-11-02T10:00:00Z", "end": "2026-11-02T11:00:00Z", "cost": "12.34",
// "currency": "USD"}. The answer (points accepted, duplicates, anomalies, incidents opened) is
// printed as JSON. Exit 2: bad input (named by file, line and field); exit 1: not delivered.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"blackroad.dev/finance-pack/clients/go/coststream"
)

type inputPoint struct {
	Dimensions map[string]string `json:"dimensions"`
	Start      time.Time         `json:"start"`
	End        time.Time         `json:"end"`
	Cost       json.RawMessage   `json:"cost"`
	Currency   string            `json:"currency"`
}

type source struct {
	name  string
	lines []int // line of each point in its file
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("finance-stream", flag.ContinueOnError)
	flags.SetOutput(stderr)
	url := flags.String("url", envOr("FINANCE_API_URL", "http://127.0.0.1:8787"), "the pack's API (env FINANCE_API_URL)")
	batch := flags.Int("batch", coststream.DefaultMaxBatch, "points per request")
	attempts := flags.Int("attempts", 5, "attempts per batch (429, 5xx and network errors are retried)")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: finance-stream [-url URL] [-batch N] [FILE.ndjson|FILE.json ...]  (stdin without files)")
		fmt.Fprintln(stderr, "token: FINANCE_API_TOKEN or FINANCE_API_TOKEN_FILE (a subject with costs:write)")
		fmt.Fprintln(stderr, "example: FINANCE_API_TOKEN_FILE=token finance-stream -url http://127.0.0.1:8787 points.ndjson")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	token, err := coststream.TokenFromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "finance-stream:", err)
		return 2
	}
	points, origins, err := readAll(flags.Args(), stdin)
	if err != nil {
		fmt.Fprintln(stderr, "finance-stream:", err)
		return 2
	}
	client := coststream.New(*url, token)
	client.MaxBatch = *batch
	client.MaxAttempts = *attempts
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	result, err := client.Send(ctx, points)
	var invalid *coststream.InvalidPointError
	if errors.As(err, &invalid) {
		fmt.Fprintf(stderr, "finance-stream: %s: %s\n", origins.where(invalid.Location), invalid.Message)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "finance-stream:", err)
		return 1
	}
	encoder := json.NewEncoder(stdout)
	encoder.SetIndent("", "  ")
	_ = encoder.Encode(result)
	return 0
}

// origins maps a point's index back to FILE:LINE for error messages.
type origins []string

func (o origins) where(location string) string {
	var index int
	if _, err := fmt.Sscanf(location, "[%d]", &index); err != nil || index < 0 || index >= len(o) {
		return location
	}
	field := location[strings.Index(location, "]")+1:]
	return o[index] + " " + strings.TrimPrefix(field, ".")
}

func readAll(paths []string, stdin io.Reader) ([]coststream.Point, origins, error) {
	if len(paths) == 0 {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, nil, err
		}
		return parse("<stdin>", data)
	}
	var points []coststream.Point
	var where origins
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, err
		}
		more, at, err := parse(path, data)
		if err != nil {
			return nil, nil, err
		}
		points, where = append(points, more...), append(where, at...)
	}
	return points, where, nil
}

func parse(name string, data []byte) ([]coststream.Point, origins, error) {
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, nil, fmt.Errorf("%s: not a JSON array of points: %v", name, err)
		}
		points := make([]coststream.Point, 0, len(items))
		where := make(origins, 0, len(items))
		for i, item := range items {
			point, err := decode(item)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: point %d: %v", name, i, err)
			}
			points, where = append(points, point), append(where, fmt.Sprintf("%s: point %d", name, i))
		}
		return points, where, nil
	}
	var points []coststream.Point
	var where origins
	scanner := bufio.NewScanner(bytes.NewReader(data))
	scanner.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; scanner.Scan(); line++ {
		text := bytes.TrimSpace(scanner.Bytes())
		if len(text) == 0 {
			continue
		}
		point, err := decode(text)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		points, where = append(points, point), append(where, fmt.Sprintf("%s:%d:", name, line))
	}
	return points, where, scanner.Err()
}

// decode reads one point; a cost written as a JSON number is taken by its text, never a float.
func decode(raw []byte) (coststream.Point, error) {
	var in inputPoint
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&in); err != nil {
		return coststream.Point{}, err
	}
	cost := strings.Trim(string(in.Cost), `"`)
	amount, err := coststream.ParseAmount(cost)
	if err != nil {
		return coststream.Point{}, fmt.Errorf("cost: %v", err)
	}
	return coststream.Point{Dimensions: in.Dimensions, Start: in.Start, End: in.End, Cost: amount, Currency: in.Currency}, nil
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
