package httpx

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// The retry policy.
//
// Only transient failures are retried: a connection that could not be made,
// a per-attempt timeout, a connection lost mid-exchange, and the statuses 429,
// 502, 503 and 504. Other 4xx and 500 are answers, not accidents, and are
// returned at once.
//
// A write that may have reached the server is never repeated blindly: for
// methods that are not idempotent (POST, PATCH) a retry happens only when the
// server surely did not process the request: the connection was never made,
// or the server said so (429, 503). A POST that ends in 502, 504, a timeout or
// a lost connection returns an error for which IsTransient is true, and the
// caller checks the state before trying again.
//
// An attempt that timed out (the server accepted the connection and stayed
// silent) is retried at most once more in the same Do, whatever MaxAttempts
// says: MaxAttempts silent attempts would multiply the timeout. A deadline on
// the context of Do bounds the whole call: no attempt or wait goes past it, and
// a wait that would end after it is not started (the last error is returned).
//
// Backoff is exponential with full jitter; a Retry-After header (seconds or an
// HTTP date) on 429 or 503 is honoured up to MaxRetryAfter. A cancelled
// context ends the retries and the sleep between them at once.

// idempotent reports whether repeating method is harmless (RFC 9110 9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// retryDecision says whether attempt n, which failed with err, is retried and
// after how long.
func (c *Client) retryDecision(method string, resp *Response, err error, n int) (time.Duration, bool) {
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			if resp != nil {
				if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
					return d, true
				}
			}
			return c.backoff(n), true
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			return c.backoff(n), idempotent(method)
		}
		return 0, false
	}
	var re *RequestError
	if errors.As(err, &re) {
		switch re.kind {
		case failDial:
			return c.backoff(n), true
		case failTimeout, failLost:
			return c.backoff(n), idempotent(method)
		}
	}
	return 0, false
}

// IsTimeout reports whether err is the failure of an HTTP attempt that got no
// answer within Options.Timeout (or whose connection never completed), as
// opposed to a caller's context ending.
func IsTimeout(err error) bool { return timedOut(err) }

// timedOut reports whether err is a timeout: no answer in time, including a
// connection or TLS handshake that never completed (a black-holed address).
func timedOut(err error) bool {
	var re *RequestError
	if !errors.As(err, &re) {
		return false
	}
	var te *timeoutError
	return re.kind == failTimeout || errors.As(re.Err, &te) || isTimeout(re.Err)
}

// backoff is the full-jitter wait after attempt n: uniform in
// [0, min(MaxBackoff, BaseBackoff·2^(n-1))].
func (c *Client) backoff(n int) time.Duration {
	ceil := c.opt.MaxBackoff
	if n-1 < 32 {
		if d := c.opt.BaseBackoff << (n - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}

// retryAfter parses a Retry-After value (delay in seconds or an HTTP date),
// capped at MaxRetryAfter.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Compare before multiplying: a huge value would overflow Duration.
		if secs > int(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}
