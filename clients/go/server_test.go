package scriptengine_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	scriptengine "github.com/scriptengine/scriptengine/clients/go"
)

// serverArgs: every SDK's runner starts the server the same way (no drain wait on shutdown, one worker).
var serverArgs = []string{"--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"}

// repoRoot is the repository this package lives in (clients/go/../..).
func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

type testServer struct {
	GRPC, HTTP string
	DataDir    string
	// Proc is the server's process (to freeze it with SIGSTOP, ...).
	Proc *os.Process
	// Stop interrupts the server and waits for it to exit (also done when the test ends).
	Stop func()
}

// startServer runs `node src/main.ts` from this repository on free loopback ports and waits for
// its {"listening":...} line. It is stopped when the test ends.
func startServer(t testing.TB, toml string, extra ...string) testServer {
	t.Helper()
	return startServerIn(t, t.TempDir(), toml, extra...)
}

// startServerIn is startServer on the data directory dir (a restart: the one a stopped server used).
func startServerIn(t testing.TB, dir, toml string, extra ...string) testServer {
	t.Helper()
	root := repoRoot(t)
	args := []string{filepath.Join(root, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dir}
	if toml != "" {
		file := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", file)
	}
	args = append(append(args, serverArgs...), extra...)
	node := os.Getenv("SCRIPTENGINE_NODE")
	if node == "" {
		node = "node"
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SCRIPTENGINE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	done := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		})
	}
	t.Cleanup(stop)
	ready := make(chan testServer, 1)
	go func() {
		scanner := bufio.NewScanner(out)
		for scanner.Scan() {
			var msg struct {
				Listening *struct{ GRPC, HTTP string } `json:"listening"`
			}
			if json.Unmarshal(scanner.Bytes(), &msg) == nil && msg.Listening != nil {
				ready <- testServer{GRPC: msg.Listening.GRPC, HTTP: msg.Listening.HTTP, DataDir: dir, Proc: cmd.Process, Stop: stop}
			}
		}
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case s := <-ready:
		return s
	case <-done:
		t.Fatalf("server exited before listening:\n%s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not listen within 30s:\n%s", stderr.String())
	}
	return testServer{}
}

// dial connects a client for the rest of the test (closed when it ends).
func dial(t testing.TB, addr string, opts ...scriptengine.Option) *scriptengine.Client {
	t.Helper()
	c, err := scriptengine.Dial(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
