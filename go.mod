module blackroad.dev/finance-pack

// Only the Go client of the Cost Watcher's stream API lives here (clients/go); the standard
// library is all it needs, so `go test ./...` works offline on Debian's Go.
go 1.19
