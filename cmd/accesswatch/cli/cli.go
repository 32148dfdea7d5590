// Package cli implements the accesswatch subcommands. main only builds an Env and calls Main, so
// every command can be run and tested in-process.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/logredact"
)

// Version is set at build time with -ldflags "-X github.com/accesswatch/accesswatch/cmd/accesswatch/cli.Version=…".
var Version = "dev"

// Env is everything a command may touch of the process.
type Env struct {
	Args      []string
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	LookupEnv func(string) (string, bool)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "all in one: probe from every vantage on schedule, store, detect, alert, serve the API", serveCmd(config.ModeRun)},
		{"agent", "probe from this host's vantages on schedule and push the results to a collector", serveCmd(config.ModeAgent)},
		{"collector", "accept agents' results, store, detect, alert, serve the API", serveCmd(config.ModeCollector)},
		{"probe", "run one round of probes now and print the results", probeCmd},
		{"dashboards", "dashboards export --out DIR | dashboards publish --config F: the Grafana dashboards", dashboardsCmd},
		{"export", "write stored results as CSV or JSON lines, for citing and checking", exportCmd},
		{"classify", "read a vendor answer (status, headers, body) and print its classification", classifyCmd},
		{"config", "config check: validate a config and print the resolved probe plan", configCmd},
		{"demo", "run the whole service against a simulated vendor replaying the 2026 revocation", demoCmd},
		{"version", "print the version", func(_ context.Context, env Env, args []string) error {
			if err := parse(env, newFlags(env, "version", ""), args); err != nil {
				return err
			}
			_, err := fmt.Fprintln(env.Stdout, "accesswatch", Version)
			return err
		}},
	}
}

// errUsage marks errors where the usage text helps more than the message alone.
var errUsage = errors.New("usage")

// Main runs the subcommand in env.Args and returns the process exit code.
func Main(ctx context.Context, env Env) int {
	if env.LookupEnv == nil {
		env.LookupEnv = os.LookupEnv
	}
	if len(env.Args) == 0 {
		usage(env.Stdout)
		return 2
	}
	name, args := env.Args[0], env.Args[1:]
	if isHelp(name) || (name == "help" && (len(args) == 0 || args[0] == "help")) {
		usage(env.Stdout)
		return 0
	}
	if name == "help" {
		// "help CMD [SUB]" is "CMD [SUB] -h": the command's own help, on stdout.
		name, args = args[0], append(slices.Clone(args[1:]), "-h")
		if !slices.ContainsFunc(commands(), func(c command) bool { return c.name == name }) {
			fmt.Fprintf(env.Stderr, "accesswatch help: unknown command %q (run 'accesswatch help' for the list)\n", name)
			return 2
		}
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, env, args)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(env.Stderr, "accesswatch %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(env.Stderr, "accesswatch %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "accesswatch: unknown command %q\n\n", name)
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "accesswatch: is a frontier model usable from each country, and since when?")
	fmt.Fprintln(w, "\nUsage: accesswatch <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'accesswatch help <command>' or 'accesswatch <command> -h' for a command's flags.")
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

// newFlags returns a flag set that returns errors. Its usage goes to env.Stdout when asked
// for (-h, --help) and to env.Stderr after a bad flag.
func newFlags(env Env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: accesswatch %s %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; a bad flag is a usage error (the flag package already printed why), and
// -h prints the usage on stdout and returns flag.ErrHelp (exit 0).
func parse(env Env, fs *flag.FlagSet, args []string) error {
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(args)
	fs.SetOutput(env.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = env.Stdout.Write(out.Bytes())
			return err
		}
		_, _ = env.Stderr.Write(out.Bytes())
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// setup parses the flags, then builds the logger and loads the config the flags name.
func setup(env Env, fs *flag.FlagSet, args []string, path, level *string) (*slog.Logger, *config.Config, error) {
	if err := parse(env, fs, args); err != nil {
		return nil, nil, err
	}
	log, err := newLogger(env.Stderr, *level)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(*path, env.LookupEnv)
	if err != nil {
		return log, nil, err
	}
	// No configured secret (nor anything key-shaped) reaches the log, in any mode.
	return logredact.Wrap(log, cfg.Secrets()), cfg, nil
}

// newLogger builds the process logger: text on stderr at the given level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("%w: --log-level: want debug, info, warn or error, got %q", errUsage, level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
