/**
 * Bounds of streams. A consumer's window is how many items may be on their
 * way or waiting unread at once; every hop holds at most that many, so a
 * consumer that stops reading holds memory flat (window × item size).
 */

/** Items in flight plus unread, per stream, unless the caller picks another window. */
export const DEFAULT_STREAM_WINDOW = 16;

/**
 * The most credit a producer or relay accepts outstanding on one stream; a
 * consumer's window may not be larger. A peer that grants more gets its stream
 * ended with BAD_MESSAGE: the relay forwards credit 1:1, so this caps what the
 * server may have to hold for one routed stream.
 */
export const MAX_STREAM_CREDIT = 1024;

/** Streams one connection may have open in each role (opened, served, relayed) before TOO_MANY_STREAMS. */
export const DEFAULT_MAX_STREAMS = 256;

export interface StreamLimits {
  /** Streams per connection and role; default {@link DEFAULT_MAX_STREAMS}. */
  maxStreams: number;
  /** Outstanding credit accepted per stream; default {@link MAX_STREAM_CREDIT}. */
  maxCredit: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxStreams: DEFAULT_MAX_STREAMS, maxCredit: MAX_STREAM_CREDIT };
