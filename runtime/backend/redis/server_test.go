package redis

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
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// server is a redis-server process the tests start for themselves, on a
// free loopback port, persisting nothing, in a directory of its own.
type server struct {
	addr   string
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	output bytes.Buffer
}

// startServer starts redis-server and waits until it answers PING. A
// missing binary is an error, never a reason to skip: these tests are the
// only check of the engine against a real server.
func startServer() (*server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server is not installed, and the redis backend tests need a real server: " +
			"install it (Debian: apt-get install -y redis-server; .ci/run does so in CI)")
	}
	dir, err := os.MkdirTemp("", "storegen-redis-")
	if err != nil {
		return nil, err
	}
	// The port is free when chosen but may be taken before the server binds
	// it; a server that exits early is tried again on another port.
	var errs []error
	for range 5 {
		s, err := tryServer(bin, dir)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("redis-server did not start: %w", errors.Join(errs...))
}

func tryServer(bin, dir string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &server{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, exited: make(chan struct{})}
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
func (s *server) stop() {
	s.halt()
	_ = os.RemoveAll(s.dir)
}

// halt ends the server, forcibly if it does not exit within seconds.
func (s *server) halt() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}
