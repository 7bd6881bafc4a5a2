package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/synapsed/storegen/generator"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // input errors, stale files in check mode, I/O failures
	exitUsage = 2
)

const usage = `usage: storegen [-check] [-v] [packages]

storegen generates a <type>_store.go file beside each struct annotated with
//storegen:store in the packages (default "."). Flags:
`

// run is the whole command, with its arguments and output streams passed in
// so that tests can run it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("storegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "write nothing; exit 1 naming each generated file that is missing or stale")
	verbose := fs.Bool("v", false, "name each file written, removed or already up to date")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}

	res, err := generator.Run(generator.Config{Patterns: fs.Args(), Check: *check})
	if err != nil {
		var list generator.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e)
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		return exitError
	}
	for _, f := range res.Stale {
		fmt.Fprintf(stderr, "storegen: %s is stale; run go generate\n", f)
	}
	if *verbose {
		for _, l := range []struct {
			what  string
			files []string
		}{{"wrote", res.Written}, {"removed", res.Removed}, {"unchanged", res.Unchanged}} {
			for _, f := range l.files {
				fmt.Fprintf(stdout, "storegen: %s %s\n", l.what, f)
			}
		}
	}
	if len(res.Stale) > 0 {
		return exitError
	}
	return exitOK
}
