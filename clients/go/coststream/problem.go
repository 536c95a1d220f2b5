package coststream

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

// Problem is the API's refusal of a batch (RFC 9457 problem details, plus the pack's hint).
type Problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Type   string `json:"type"`
	Detail string `json:"detail"`
	Hint   string `json:"hint,omitempty"`
	// Errors name each offending field; a point is named by its index in the slice given to
	// Send (the server counts within its batch; Send adds the batch's offset).
	Errors []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem is one field the API refused, e.g. {Field: "[3].cost", Message: "..."}.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string {
	text := fmt.Sprintf("HTTP %d %s", p.Status, p.Title)
	if p.Detail != "" {
		text += ": " + p.Detail
	}
	if p.Hint != "" {
		text += " (" + p.Hint + ")"
	}
	return text
}

var indexPattern = regexp.MustCompile(`\[(\d+)\]`)

// parseProblem reads a problem+json body; a body of another shape keeps its status and text.
func parseProblem(status int, body []byte, batchStart int) *Problem {
	problem := &Problem{}
	if err := json.Unmarshal(body, problem); err != nil || problem.Title == "" {
		problem = &Problem{Title: "unexpected response", Detail: truncate(string(body), 300)}
	}
	problem.Status = status
	problem.Detail = shiftIndex(problem.Detail, batchStart)
	for i := range problem.Errors {
		problem.Errors[i].Field = shiftIndex(problem.Errors[i].Field, batchStart)
	}
	return problem
}

// shiftIndex rewrites the first "[i]" to "[i+offset]", so a location names the caller's point.
func shiftIndex(text string, offset int) string {
	done := false
	return indexPattern.ReplaceAllStringFunc(text, func(match string) string {
		if done {
			return match
		}
		done = true
		index, err := strconv.Atoi(match[1 : len(match)-1])
		if err != nil {
			return match
		}
		return "[" + strconv.Itoa(index+offset) + "]"
	})
}

func truncate(text string, limit int) string {
	if len(text) <= limit {
		return text
	}
	return text[:limit] + "..."
}
