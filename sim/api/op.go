package api

import (
	"fmt"
	"strconv"
	"strings"
)

// OpID names one business operation: the Index-th message of queue Queue
// ("create payment for order 7 from queue 3", printed o3.7). Clients that
// consume the same queue submit the same operations. The world attributes
// every effect to an OpID; strategies never see one.
type OpID struct {
	Queue, Index int32
}

func (o OpID) String() string {
	return "o" + strconv.Itoa(int(o.Queue)) + "." + strconv.Itoa(int(o.Index))
}

// IsZero reports whether o names no operation.
func (o OpID) IsZero() bool { return o == OpID{} }

// MaxOpPart bounds an operation's queue and index, so that both pack into
// one 32-bit trace field.
const MaxOpPart = 1<<15 - 1

// Pack packs o into 32 bits (queue in the high half), as trace records
// carry it.
func (o OpID) Pack() int32 { return o.Queue<<16 | o.Index }

// UnpackOpID is the inverse of Pack.
func UnpackOpID(v int32) OpID { return OpID{Queue: v >> 16, Index: v & 0xffff} }

// ParseOpID reads "o3.7".
func ParseOpID(s string) (OpID, error) {
	bad := fmt.Errorf("bad operation %q (accepted: oQUEUE.INDEX like o3.7, each in [1, %d])", s, MaxOpPart)
	q, i, ok := strings.Cut(strings.TrimPrefix(s, "o"), ".")
	if !ok || !strings.HasPrefix(s, "o") {
		return OpID{}, bad
	}
	qn, ok1 := CanonicalInt(q, MaxOpPart)
	in, ok2 := CanonicalInt(i, MaxOpPart)
	if !ok1 || !ok2 {
		return OpID{}, bad
	}
	return OpID{Queue: int32(qn), Index: int32(in)}, nil
}

// CanonicalInt reads a decimal integer in [1, hi] written without sign or
// leading zeros, so that it prints back as read.
func CanonicalInt(s string, hi int) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > hi || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// Service names one of the world's service nodes. The node's name in the
// network, in fault lines and in --link rules is the service's String.
type Service uint8

// The services.
const (
	NoService Service = iota
	ServiceDB
	ServiceKV
	ServiceGateway
	ServiceQueue
	numServices
)

var serviceNames = [numServices]string{"", "db", "kv", "gateway", "queue"}

func (s Service) String() string {
	if s < numServices {
		return serviceNames[s]
	}
	return "service(" + strconv.Itoa(int(s)) + ")"
}

// Services lists the services in node order.
func Services() []Service { return []Service{ServiceDB, ServiceKV, ServiceGateway, ServiceQueue} }

// ParseService reads a service's name; ok is false for anything else.
func ParseService(s string) (Service, bool) {
	for i := ServiceDB; i < numServices; i++ {
		if serviceNames[i] == s {
			return i, true
		}
	}
	return NoService, false
}
