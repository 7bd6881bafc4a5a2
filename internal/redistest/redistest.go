// Package redistest starts redis-server processes for the tests and
// benchmarks outside the redis engine's own package (the engine's tests
// keep their own copy of this, since an engine imports nothing of ours). A
// server listens on a free loopback port, persists nothing, lives in a
// temporary directory of its own, and is stopped when the test ends.
//
// A missing redis-server binary fails the test rather than skipping it:
// every configuration must run in CI, and CI installs the server.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Server is a running redis-server process.
type Server struct {
	addr   string
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	// output is what the server printed; read it only once exited is
	// closed, when the process's pipe copier is done with it.
	output bytes.Buffer
}

// Start starts redis-server, waits until it answers PING, and stops it when
// tb ends. It fails tb, with how to install the server, when redis-server
// is not on the PATH.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(s.stop)
	return s
}

// StartMain starts redis-server for a TestMain, which has no testing.TB:
// the caller must Stop it.
func StartMain() (*Server, error) { return start() }

// Stop stops a server started by StartMain.
func (s *Server) Stop() { s.stop() }

// Addr returns the server's host:port, for goredis.Options.Addr.
func (s *Server) Addr() string { return s.addr }

func start() (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server is not installed, and this test needs a real server: " +
			"install it (Debian: apt-get install -y redis-server; .ci/run does so in CI)")
	}
	dir, err := os.MkdirTemp("", "storegen-redistest-")
	if err != nil {
		return nil, err
	}
	// The port is free when chosen but may be taken before the server binds
	// it; a server that exits early is tried again on another port.
	var errs []error
	for range 5 {
		s, err := try(bin, dir)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("redis-server did not start: %w", errors.Join(errs...))
}

func try(bin, dir string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &Server{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, exited: make(chan struct{})}
	s.cmd = exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--daemonize", "no", "--loglevel", "warning")
	s.cmd.Stdout, s.cmd.Stderr = &s.output, &s.output
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()

	client := goredis.NewClient(&goredis.Options{Addr: s.addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := client.Ping(ctx).Err()
		cancel()
		switch {
		case err == nil:
			return s, nil
		case time.Now().After(deadline):
			s.halt()
			return nil, fmt.Errorf("no answer on %s: %w", s.addr, err)
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("exited: %s", bytes.TrimSpace(s.output.Bytes()))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop ends the server and removes its directory.
func (s *Server) stop() {
	s.halt()
	_ = os.RemoveAll(s.dir)
}

// halt ends the server, forcibly if it does not exit within seconds.
func (s *Server) halt() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}
