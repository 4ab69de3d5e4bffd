// Command supervisor holds one Lambda execution environment of the ecprov
// emulator: aws-lambda-rie, the function's bootstrap that the RIE starts in
// a process group of its own, and whatever the bootstrap starts.
//
// The emulator cannot guard those grandchildren itself. A parent-death
// signal reaches only a direct child, and only when the parent's *thread*
// dies; a runtime whose RIE is killed is re-parented to PID 1 and lives on.
// So the emulator starts this small program in between:
//
//	supervisor -- PROGRAM ARGS...    (fd 3: the read end of a pipe)
//
// It makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so every
// orphaned descendant is re-parented to it instead of to PID 1; it starts
// PROGRAM with a parent-death signal; and it ends the whole tree, SIGKILL to
// every descendant until none is left, as soon as any of these happens:
//   - PROGRAM exits (for instance after `kill -9` of the RIE);
//   - fd 3 reads EOF: the emulator closed the write end, which only it holds,
//     or died, `kill -9` included, which closes it too;
//   - it receives SIGTERM, SIGINT or SIGHUP.
//
// It then exits as PROGRAM did: the same exit code, or the same fatal signal.
// It uses only the standard library: the emulator builds it from this file
// with the Go toolchain, outside any module (lambda.EnsureSupervisor).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

// controlFD is the pipe from the emulator (cmd.ExtraFiles[0]).
const controlFD = 3

func init() {
	// The parent-death signal of PROGRAM fires when the thread that forked
	// it ends: keep main, which forks, on the main thread, which lives as
	// long as the process.
	runtime.LockOSThread()
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: supervisor -- PROGRAM ARGS... (with fd 3 the emulator's control pipe)")
		os.Exit(2)
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		fail("PR_SET_CHILD_SUBREAPER: %v", errno)
	}
	// The control pipe is ours alone: PROGRAM must not inherit it.
	syscall.CloseOnExec(controlFD)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	child, err := start(args)
	if err != nil {
		fail("start %s: %v", args[0], err)
	}
	exited := make(chan syscall.WaitStatus, 1)
	allGone := make(chan struct{})
	go reap(child, exited, allGone)
	controlClosed := make(chan struct{})
	go func() {
		ctl := os.NewFile(controlFD, "control")
		var b [64]byte
		for {
			if _, err := ctl.Read(b[:]); err != nil {
				close(controlClosed)
				return
			}
		}
	}()

	var status syscall.WaitStatus
	haveStatus := false
	select {
	case status = <-exited:
		haveStatus = true
	case <-controlClosed:
	case <-signals:
	}
	for done := false; !done; {
		killDescendants()
		select {
		case <-allGone:
			done = true
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !haveStatus {
		select {
		case status = <-exited:
		default:
			os.Exit(1)
		}
	}
	exitAs(status)
}

func start(args []string) (int, error) {
	path := args[0]
	if !strings.Contains(path, "/") {
		return 0, errors.New("PROGRAM must be a path")
	}
	return syscall.ForkExec(path, args, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
}

// reap collects every child, PROGRAM and the orphans re-parented here, and
// closes allGone once there is none left.
func reap(child int, exited chan<- syscall.WaitStatus, allGone chan<- struct{}) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil: // ECHILD: no child left
			close(allGone)
			return
		case pid == child:
			exited <- ws
		}
	}
}

// killDescendants sends SIGKILL to every live process below this one. A
// process that forks while it runs leaves an orphan, which the subreaper
// setting brings back here for the next round.
func killDescendants() {
	self := os.Getpid()
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	queue := append([]int(nil), children[self]...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = append(queue[1:], children[pid]...)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// parentOf reads the parent pid from /proc/PID/stat; zombies count as gone.
func parentOf(pid int) (int, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 || fields[0] == "Z" {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// exitAs ends this process the way PROGRAM ended, so the emulator reads
// "signal: killed" after a `kill -9` of the RIE, not "exit status 0".
func exitAs(ws syscall.WaitStatus) {
	if ws.Signaled() {
		sig := ws.Signal()
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), sig)
		os.Exit(128 + int(sig))
	}
	os.Exit(ws.ExitStatus())
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "supervisor: "+format+"\n", a...)
	killDescendants()
	os.Exit(1)
}
