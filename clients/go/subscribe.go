package scriptengine

import (
	"context"
	"errors"
	"io"
	"iter"
	"strconv"
	"time"

	v1 "github.com/scriptengine/scriptengine/gen/go/scriptengine/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
)

// SubscribeOptions select events and how a subscription copes with trouble.
type SubscribeOptions struct {
	// EventTypes ("script_executed", ...); empty means all.
	EventTypes []string
	// AfterSequence resumes after this sequence; nil means live events only, from the first
	// stream's started.latest_sequence on (a reconnect resumes from there).
	AfterSequence *uint64
	// OnLost receives EventsLost notices; when nil, a loss (missed_count > 0) ends the iteration
	// with *EventsLostError. A notice that missed nothing (missed_count 0, e.g. resuming exactly
	// where a cleanly stopped run of the server ended) only reaches OnLost.
	OnLost func(*v1.EventsLost)
	// OnStarted is called for each (re)started stream.
	OnStarted func(*v1.SubscriptionStarted)
	// NoResume ends the iteration at the first dropped connection (or reset stream, or fall
	// behind) instead of resubscribing.
	NoResume bool
	// MaxReconnects is the number of consecutive failed reconnects before giving up. 0 (the zero
	// value) means the default, 10, not "never reconnect": a negative value means that, as NoResume
	// does (and as 0 or less does in the TS and Python SDKs). A stream ended by EVENTS_LOST counts
	// only when no event arrived since the last resume.
	// Giving up ends the iteration with a *ReconnectError wrapping the last stream's error. With the
	// default RetryPolicy (backoff from 100 ms doubling to 2 s, with jitter) the default 10 ride out
	// an outage of about 7 to 13 s; each one more adds 1 to 2 s.
	MaxReconnects int
}

// Subscribe streams events until ctx ends or the server ends the stream (unsubscribe). When the
// connection drops, the server shuts down (UNAVAILABLE), the stream is reset (CANCELLED, neither
// by ctx nor by Close) or the reader fell behind (RESOURCE_EXHAUSTED EVENTS_LOST, with
// events.on_lag "disconnect": what the log no longer holds then comes as an EventsLost notice) it
// resubscribes after the last sequence it yielded (before the first, after the first stream's started.latest_sequence), or after the
// stream's resume_after_sequence when the server said one, so retained events are neither missed
// nor repeated. A non-nil error is the last value of the iteration; a cancelled ctx or Close ends
// the iteration without one.
//
//	for ev, err := range client.Subscribe(ctx, scriptengine.SubscribeOptions{}) {
//		if err != nil { return err }
//		fmt.Println(ev.GetSequence())
//	}
func (c *Client) Subscribe(ctx context.Context, opts SubscribeOptions) iter.Seq2[*v1.ServiceEvent, error] {
	return func(yield func(*v1.ServiceEvent, error) bool) {
		after := opts.AfterSequence
		c.resume(ctx, opts.NoResume, opts.MaxReconnects, func(streamCtx context.Context, healthy, delivered func()) error {
			stream, err := c.Events.Subscribe(streamCtx, &v1.SubscribeRequest{EventTypes: opts.EventTypes, AfterSequence: after})
			if err != nil {
				return err
			}
			var latest uint64 // this stream's started.latest_sequence
			for {
				msg, err := stream.Recv()
				if err != nil {
					after = resumePoint(err, after)
					return err
				}
				switch m := msg.GetMessage().(type) {
				case *v1.SubscribeResponse_Started:
					healthy()
					latest = m.Started.GetLatestSequence()
					if after == nil {
						// A live subscription resumes from where it began, not live-only again:
						// what is published while it reconnects is still delivered (or reported lost).
						latest := m.Started.GetLatestSequence()
						after = &latest
					}
					if opts.OnStarted != nil {
						opts.OnStarted(m.Started)
					}
				case *v1.SubscribeResponse_Event:
					seq := m.Event.GetSequence()
					after = &seq
					delivered()
					if !yield(m.Event, nil) {
						return errStop
					}
				case *v1.SubscribeResponse_Lost:
					after = resumeAfterLoss(after, latest, m.Lost)
					switch {
					case opts.OnLost != nil:
						opts.OnLost(m.Lost)
					case m.Lost.GetMissedCount() > 0: // 0 is exact: nothing missed (e.g. resuming where a clean run ended)
						return &EventsLostError{Lost: m.Lost}
					}
				}
			}
		}, func(err error) { yield(nil, err) })
	}
}

// resumeAfterLoss is where a subscription resumes after a lost notice, after being where its stream
// began and latest that stream's started.latest_sequence. An after beyond the latest is a number the
// server does not know (a reset or replaced store): it reports RESTART and replays all it retains,
// so the stream stands after the notice's last missed sequence (the oldest retained less one; 0 when
// it retains from 1 or nothing). Resuming from the unknown number instead would bring the same notice
// after every dropped connection until an event the filter lets in arrived. Any other notice moves
// the resume point on to its last missed sequence, never back.
func resumeAfterLoss(after *uint64, latest uint64, lost *v1.EventsLost) *uint64 {
	last := lost.GetLastMissedSequence()
	if after != nil && *after > latest && lost.GetReason() == v1.LossReason_LOSS_REASON_RESTART {
		return &last
	}
	if after == nil || last > *after {
		return &last
	}
	return after
}

// resumePoint is where to resubscribe after a stream ended with err: a server shutting down
// (UNAVAILABLE) says in ErrorInfo resume_after_sequence that every event the subscription's filter
// lets in up to there was sent, so the run's later events of other types (its own shutdown's among
// them) are not reported missed after a restart.
func resumePoint(err error, after *uint64) *uint64 {
	var se *Error
	if !errors.As(err, &se) || se.Code != codes.Unavailable {
		return after
	}
	at, perr := strconv.ParseUint(se.Metadata["resume_after_sequence"], 10, 64)
	if perr != nil || (after != nil && *after >= at) {
		return after
	}
	return &at
}

// resume runs one stream after another until ctx ends or the client is closed: run is one stream's
// life and returns why it ended. A dropped connection, a server shutdown (UNAVAILABLE), a reset
// stream or a reader that fell behind (see dropped) is followed by a backoff (never shorter than the
// server's RetryInfo) and a new stream; errStop, a clean end (io.EOF), a cancelled ctx (or its deadline, which the
// server may see pass first) and Close end quietly; any other error goes to fail, and so do too many failed reconnects in a row (wrapped in
// *ReconnectError). run calls healthy once its stream works, which resets the count of failed
// reconnects, and delivered before it yields an item. A stream that fell behind before delivering anything counts as one more failed reconnect
// (its started alone is no success), so a reader that gets nothing between two falls gives up after
// maxReconnects, while one that keeps receiving goes on.
func (c *Client) resume(ctx context.Context, noResume bool, maxReconnects int, run func(ctx context.Context, healthy, delivered func()) error, fail func(error)) {
	if maxReconnects == 0 {
		maxReconnects = 10
	}
	failures := 0
	for {
		before, gotSome := failures, false
		err := func() error {
			streamCtx, cancel := context.WithCancel(ctx)
			// Deferred: a panic or runtime.Goexit in the loop body (it unwinds through yield) or in a
			// callback must end the stream too, or it would hold its server slot, a goroutine and a
			// pool slot until ctx ends.
			defer cancel()
			return run(streamCtx, func() { failures = 0 }, func() { gotSome = true })
		}()
		if fellBehind(err) && !gotSome {
			failures = before
		}
		switch {
		// Close, like a cancelled ctx, is the caller's own doing: the iteration just ends.
		case errors.Is(err, errStop), errors.Is(err, io.EOF), ctx.Err() != nil, c.closed():
			return
		case atCallersDeadline(ctx, err):
			// The server ended the stream at ctx's deadline, which its clock saw pass a little
			// before ours: the caller's own end, as when ctx's timer fires first.
			select {
			case <-ctx.Done():
			case <-c.closing:
			}
			return
		case noResume || !c.dropped(err):
			fail(err)
			return
		case failures >= maxReconnects:
			if failures > 0 { // a negative maxReconnects gives up at once, as noResume: no reconnect failed
				err = &ReconnectError{Reconnects: failures, Err: err}
			}
			fail(err)
			return
		}
		failures++
		// As before a retry: a failed connection waiting out its backoff (seconds after an outage)
		// would fail the next streams at once, and a few of them end the iteration.
		c.conns.resetConnectBackoff()
		var se *Error
		errors.As(err, &se)
		select {
		case <-ctx.Done():
			return
		case <-c.closing: // Close ends the wait as a cancelled ctx does, with no attempt after it
			return
		case <-time.After(c.opts.backoff(failures, se.RetryDelay)):
		}
	}
}

var errStop = errors.New("stop")

// deadlineSkew is how far before ctx's deadline a server's DEADLINE_EXCEEDED still counts as that
// deadline's: the server times the grpc-timeout it was sent on its own clock, and grpc-js from a
// cached event-loop time, so under load its timer fires a little before ctx's.
const deadlineSkew = time.Second

// atCallersDeadline tells whether err is the server ending a stream because ctx's deadline passed,
// before ctx itself saw it pass.
func atCallersDeadline(ctx context.Context, err error) bool {
	deadline, ok := ctx.Deadline()
	return ok && errors.Is(err, ErrTimeout) && time.Until(deadline) <= deadlineSkew
}

// dropped tells whether a stream that ended with err is worth starting again: UNAVAILABLE, CANCELLED
// that neither the caller's ctx (checked before) nor Close asked for, which is a reset stream (a
// server that force-closes its connections at shutdown, past its grace, its ending not read yet by a
// lagging reader, resets the stream, which some stacks read as CANCELLED), or a reader that fell
// behind (see fellBehind).
func (c *Client) dropped(err error) bool {
	if errors.Is(err, ErrCancelled) {
		return !c.closed()
	}
	return errors.Is(err, ErrUnavailable) || fellBehind(err)
}

// fellBehind tells whether the server ended the stream because its reader fell behind:
// RESOURCE_EXHAUSTED EVENTS_LOST, a watch past registry.watch_buffer ("watch again for a fresh
// snapshot") or a subscription past events.subscriber_buffer with events.on_lag "disconnect"
// ("resubscribe with after_sequence set to the last sequence received").
func fellBehind(err error) bool {
	var se *Error
	return errors.As(err, &se) && se.Code == codes.ResourceExhausted && se.Reason == "EVENTS_LOST"
}

// closed tells whether Close was called (or the connection closed through Conn): it ends the
// streams with CANCELLED "the client connection is closing".
func (c *Client) closed() bool {
	select {
	case <-c.closing:
		return true
	default:
		return c.conn.GetState() == connectivity.Shutdown
	}
}

// WatchOptions select registrations and how a watch copes with trouble.
type WatchOptions struct {
	// ServiceType limits the watch to registrations of this type; empty means all.
	ServiceType string
	// OnRestart is called for each (re)started stream, before its snapshot.
	OnRestart func()
	// OnSynced is called when a stream's snapshot is complete (the server's CHANGE_KIND_SYNCED,
	// which the iteration does not yield): what came since OnRestart is the current state, what
	// follows are changes. Called at once for a watch nothing matches; never by a server that
	// predates SYNCED.
	OnSynced func()
	// NoResume ends the iteration at the first dropped connection (or reset stream, or fall
	// behind) instead of watching again.
	NoResume bool
	// MaxReconnects is the number of consecutive failed reconnects before giving up. 0 (the zero
	// value) means the default, 10, not "never reconnect": a negative value means that, as NoResume
	// does (and as 0 or less does in the TS and Python SDKs). A reconnect did
	// not fail once its stream got SYNCED or a change; one that ended with neither failed, however
	// long it lasted (a hung server, a proxy with no backend). A stream ended by EVENTS_LOST counts
	// only when no change arrived since the last resume.
	// Giving up ends the iteration with a *ReconnectError wrapping the last stream's error. With the
	// default RetryPolicy (backoff from 100 ms doubling to 2 s, with jitter) the default 10 ride out
	// an outage of about 7 to 13 s; each one more adds 1 to 2 s.
	MaxReconnects int
}

// Watch streams registration changes until ctx ends or the server ends the stream. Every stream
// starts with an EXISTING snapshot of the live registrations, so when the connection drops, the
// server shuts down (UNAVAILABLE), the stream is reset (CANCELLED, neither by ctx nor by Close) or
// the reader fell more than registry.watch_buffer changes behind (RESOURCE_EXHAUSTED EVENTS_LOST) it
// backs off, calls OnRestart and watches again, and the new snapshot brings the caller up to
// date (treat EXISTING as "the current state", replacing what it knew). The server's SYNCED, which
// ends each snapshot, goes to OnSynced and is not yielded: every value yielded carries a
// registration, as before. A non-nil error is the last value of the iteration; a cancelled ctx or
// Close ends the iteration without one.
//
//	for change, err := range client.Watch(ctx, scriptengine.WatchOptions{ServiceType: "Worker"}) {
//		if err != nil { return err }
//		fmt.Println(change.GetKind(), change.GetRegistration().GetService().GetServiceId())
//	}
func (c *Client) Watch(ctx context.Context, opts WatchOptions) iter.Seq2[*v1.WatchServicesResponse, error] {
	return func(yield func(*v1.WatchServicesResponse, error) bool) {
		c.resume(ctx, opts.NoResume, opts.MaxReconnects, func(streamCtx context.Context, healthy, delivered func()) error {
			if opts.OnRestart != nil {
				opts.OnRestart()
			}
			stream, err := c.Registry.WatchServices(streamCtx, &v1.WatchServicesRequest{ServiceType: opts.ServiceType})
			if err != nil {
				return err
			}
			// Only a message shows that the stream works (the server sends SYNCED at once, even to an
			// idle watch): a stream that lasted long but brought nothing, from a hung server or a
			// proxy with no backend, is a failed reconnect.
			for {
				change, err := stream.Recv()
				if err != nil {
					return err
				}
				healthy()
				// SYNCED is no change: it does not keep a stream that fell behind from counting
				// as a failed reconnect.
				if change.GetKind() == v1.ChangeKind_CHANGE_KIND_SYNCED {
					if opts.OnSynced != nil {
						opts.OnSynced()
					}
					continue
				}
				delivered()
				if !yield(change, nil) {
					return errStop
				}
			}
		}, func(err error) { yield(nil, err) })
	}
}
