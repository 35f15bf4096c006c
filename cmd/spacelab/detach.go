package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spacelab-dev/spacelab/lab"
)

// readyFDEnv names the descriptor on which a detached `up` reports readiness: it writes its
// export lines there once the data plane has converged and the APIs listen, then closes it. A
// close with nothing written means it failed (its log says why).
const readyFDEnv = "SPACELAB_READY_FD"

func detachedChild() bool { return os.Getenv(readyFDEnv) != "" }

// readyPipe is the descriptor of readyFDEnv, taken before anything else is started so that no
// program started later (the sandbox) inherits it and keeps it open.
var readyPipe *os.File

func takeReadyPipe() {
	if !detachedChild() || readyPipe != nil {
		return
	}
	syscall.CloseOnExec(3)
	readyPipe = os.NewFile(3, "ready")
	os.Unsetenv(readyFDEnv)
}

// signalReady tells the `up --detach` that started this process that it is ready.
func signalReady(exports string) error {
	f := readyPipe
	if f == nil {
		return nil
	}
	readyPipe = nil
	defer f.Close()
	if _, err := io.WriteString(f, exports); err != nil {
		return fmt.Errorf("up --detach: telling the parent it is ready: %w", err)
	}
	return nil
}

// detachUp runs this same `spacelab up` command line as a background process in its own session
// (stdout and stderr to the state directory's log) and returns when it is ready, printing its
// export lines, or when it failed, with its log.
func detachUp(st lab.State) error {
	if pid := st.Running(); pid != 0 {
		return fmt.Errorf("%w (pid %d, state %s); stop it with `spacelab down`, or pick another state directory with SPACELAB_STATE_DIR=DIR", lab.ErrRunning, pid, st.Dir)
	}
	if err := os.MkdirAll(st.Dir, 0o700); err != nil {
		return fmt.Errorf("up --detach: %w", err)
	}
	log, err := os.OpenFile(st.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("up --detach: %w", err)
	}
	defer log.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("up --detach: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("up --detach: %w", err)
	}
	child := exec.Command(self, os.Args[1:]...)
	child.Args[0] = os.Args[0] // its hints name the binary as the user ran it (selfName)
	child.Env = append(os.Environ(), readyFDEnv+"=3", "SPACELAB_STATE_DIR="+st.Dir)
	child.Stdout, child.Stderr = log, log
	child.ExtraFiles = []*os.File{w}
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := child.Start(); err != nil {
		r.Close()
		w.Close()
		return fmt.Errorf("up --detach: %w", err)
	}
	w.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	go func() {
		<-ctx.Done()
		r.Close()
	}()
	exports, _ := io.ReadAll(r)
	r.Close()
	if ctx.Err() != nil {
		child.Process.Signal(syscall.SIGTERM)
		child.Wait()
		return &exitError{code: 130, msg: "interrupted before the emulator was ready; stopped it"}
	}
	if len(exports) == 0 {
		err := child.Wait()
		out, _ := os.ReadFile(st.LogFile())
		return fmt.Errorf("the background `spacelab up` stopped before it was ready (%v); its log, %s:\n%s", err, st.LogFile(), bytes.TrimSpace(out))
	}
	fmt.Print(string(exports))
	// What to try first, as the foreground up prints it: the child wrote it to its log
	// before it said it was ready.
	if log, err := os.ReadFile(st.LogFile()); err == nil {
		for _, line := range strings.Split(string(log), "\n") {
			if strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "# spacelab is up") {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "# spacelab is up in the background (pid %d, state %s, log %s)\n", child.Process.Pid, st.Dir, st.LogFile())
	fmt.Fprintf(os.Stderr, "# %s env prints the export lines again\n", selfName())
	child.Process.Release()
	return nil
}
