// Command payments is a small payments API on PostgreSQL that honours the
// Idempotency-Key header, written to be checked from outside by idemsim
// (README.md). --mode chooses the correct implementation or one of four
// common mistakes, each in its own mode_*.go file.
//
//	payments --listen 127.0.0.1:8080 --dsn postgres://... --mode correct
//
// Each flag may come from the environment instead: LISTEN, DATABASE_URL,
// MODE, WORK_DELAY. The service creates its tables if they are absent,
// prints "listening on ADDR" once it accepts requests, and stops cleanly on
// SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	exitOK    = 0
	exitError = 1 // the service could not start or stop cleanly
	exitUsage = 2 // the command line or environment is wrong
)

// startLimit bounds connecting to the database and creating the tables;
// stopLimit, how long requests in flight get to finish after SIGTERM.
const (
	startLimit = 30 * time.Second
	stopLimit  = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// config is what the command line and the environment say.
type config struct {
	listen    string
	dsn       string
	mode      string
	workDelay time.Duration
}

// parseConfig reads the flags, each defaulting to its environment variable.
// An error is a one-line usage message; -help prints the flags to stdout
// and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, stdout io.Writer) (config, error) {
	envOr := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	delay := 20 * time.Millisecond
	if v := getenv("WORK_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return config{}, fmt.Errorf("WORK_DELAY=%q is not a duration such as 20ms", v)
		}
		delay = d
	}
	var c config
	fs := flag.NewFlagSet("payments", flag.ContinueOnError)
	// The flag package's own messages run to several lines; run prints the
	// error on one, and the flags only for -help.
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.listen, "listen", envOr("LISTEN", "127.0.0.1:8080"), "address to listen on (env LISTEN)")
	fs.StringVar(&c.dsn, "dsn", getenv("DATABASE_URL"), "PostgreSQL connection string (env DATABASE_URL)")
	fs.StringVar(&c.mode, "mode", envOr("MODE", "correct"), "one of "+strings.Join(modeNames(), ", ")+" (env MODE)")
	fs.DurationVar(&c.workDelay, "work-delay", delay, "how long each payment's work takes, inside the request (env WORK_DELAY)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: payments --listen ADDR --dsn DSN --mode MODE [--work-delay D]")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected argument %q: the service takes flags only", fs.Arg(0))
	case c.dsn == "":
		return config{}, errors.New("no database: give --dsn or DATABASE_URL (a PostgreSQL connection string)")
	case c.workDelay < 0:
		return config{}, fmt.Errorf("--work-delay %v is negative: give a duration of 0 or more, such as 20ms", c.workDelay)
	}
	if _, ok := buildMode(c.mode); !ok {
		return config{}, fmt.Errorf("unknown mode %q: accepted modes are %s", c.mode, strings.Join(modeNames(), ", "))
	}
	return c, nil
}

// run is the whole service; it returns the exit status. It stops when ctx
// is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	logger := log.New(stderr, "payments: ", log.LstdFlags)
	c, err := parseConfig(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "payments: %v (payments -help lists the flags)\n", err)
		return exitUsage
	}
	poolConfig, err := pgxpool.ParseConfig(c.dsn)
	if err != nil {
		fmt.Fprintln(stderr, "payments: --dsn is not a PostgreSQL connection string:", err)
		return exitUsage
	}
	db, err := pgxpool.NewWithConfig(ctx, poolConfig)
	if err != nil {
		logger.Print(err)
		return exitError
	}
	defer db.Close()
	startCtx, cancel := context.WithTimeout(ctx, startLimit)
	err = createSchema(startCtx, db)
	cancel()
	if err != nil {
		logger.Print(err)
		return exitError
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		logger.Print(err)
		return exitError
	}
	create, _ := buildMode(c.mode)
	srv := &http.Server{
		Handler:           newService(db, create, c.workDelay, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintln(stdout, "listening on", ln.Addr())

	select {
	case err := <-served:
		logger.Print(err)
		return exitError
	case <-ctx.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), stopLimit)
	defer cancel()
	if err := srv.Shutdown(stopCtx); err != nil {
		logger.Printf("stopping: %v", err)
		return exitError
	}
	return exitOK
}
