// Package reliability has no code of its own: its tests run harmtrace as
// a process, kill it with SIGKILL in the middle of an import and of API
// writes (crash_test.go), and load it for a while to watch its speed and
// memory (soak_test.go).
package reliability
