package main

import (
	"fmt"
	"io"
)

func localCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "up" {
		fmt.Fprintln(stderr, "usage: ecprov local up [--port 4566] [--data-dir .ecprov/local]")
		return exitBadInput
	}
	fmt.Fprintln(stderr, "ecprov local up: the emulator is not wired yet")
	return exitFailure
}
