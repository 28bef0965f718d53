package gateway

import (
	"fmt"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim"
)

// Mode is how the gateway treats a request that repeats an earlier one.
type Mode uint8

// The modes. Idempotent is the zero value because it is what a careful
// integration with a modern processor gets.
const (
	// Idempotent is Stripe's behaviour: a repeated idempotency key with the
	// same parameters gets the original charge back, or a conflict while the
	// first request with it is still processing; the same key with other
	// parameters is rejected.
	Idempotent Mode = iota
	// DuplicateWindow is Braintree's duplicate transaction checking: a charge
	// identical to one that began less than Config.Window ago is rejected.
	// Idempotency keys are ignored.
	DuplicateWindow
	// None charges every request: a processor with no duplicate protection.
	None
)

// DefaultWindow is Braintree's default duplicate-checking window.
const DefaultWindow = 30 * time.Second

// DefaultKeyRetention is how long Stripe keeps idempotency keys at least.
const DefaultKeyRetention = 24 * time.Hour

// modeForms lists the accepted command-line forms, for error messages.
const modeForms = `"idempotent", "window" (30s), "window:DURATION" (a Go duration > 0, e.g. window:30s) or "none"`

// String prints m as ParseMode reads it. DuplicateWindow prints as
// "window", which ParseMode reads with the default window; Config.ModeFlag
// prints the window too.
func (m Mode) String() string {
	switch m {
	case Idempotent:
		return "idempotent"
	case DuplicateWindow:
		return "window"
	case None:
		return "none"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode reads a mode from the command line: "idempotent", "none",
// "window" or "window:30s". The window is returned separately because it
// belongs in Config.Window; it is 0 for the modes without one.
func ParseMode(s string) (Mode, sim.Duration, error) {
	switch s {
	case "idempotent":
		return Idempotent, 0, nil
	case "none":
		return None, 0, nil
	case "window":
		return DuplicateWindow, DefaultWindow, nil
	}
	if rest, ok := strings.CutPrefix(s, "window:"); ok {
		window, err := time.ParseDuration(rest)
		if err != nil || window <= 0 {
			return 0, 0, fmt.Errorf("gateway: mode %q: window %q is not a Go duration > 0; want %s", s, rest, modeForms)
		}
		return DuplicateWindow, window, nil
	}
	return 0, 0, fmt.Errorf("gateway: mode %q: want %s", s, modeForms)
}

// ModeFlag prints c's mode with its window ("window:30s"), so that
// ParseMode(c.ModeFlag()) gives back c.Mode and c.Window.
func (c Config) ModeFlag() string {
	if c.Mode == DuplicateWindow {
		window := c.Window
		if window == 0 {
			window = DefaultWindow
		}
		return "window:" + window.String()
	}
	return c.Mode.String()
}
