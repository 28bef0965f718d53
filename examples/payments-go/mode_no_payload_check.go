package main

// Mode no-payload-check, a mistake. The rule it follows: a key that has an
// answer gets that answer, whatever the request's body.
//
// It is the correct mode without the comparison of the body with the first
// request's. People leave the comparison out because a retry always sends
// the same body, so it looks like dead code, and because storing the body
// (or its hash) is one more column to think about. What goes wrong: a
// client that reuses a key for a different payment (a bug, or a key derived
// from something that is not unique, such as an order number reused after a
// cancellation) gets the first payment's answer, 201 with the first amount,
// and believes its second payment was made when it never was.
func noPayloadCheck() mode { return inOneTransaction(false) }
