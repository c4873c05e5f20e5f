// Message recovery for pusher-js against fanout.
//
// fanout gives every event of a channel that keeps history a position
// ({epoch, offset}, in a top-level "position" member that pusher-js does
// not pass on). This helper remembers the last position seen on each
// channel and, when pusher-js subscribes again after a reconnect, adds
// {"recover": position} to its pusher:subscribe. The server then sends
// the events missed meanwhile, in order, before
// pusher_internal:subscription_succeeded; the helper tells the channel how
// that went with a "fanout:recovery" event whose data is
// {recovered: true|false, position}. recovered false means the gap could
// not be replayed (the history was trimmed or expired): refetch the state.
//
// It hooks a pusher-js instance without changing pusher-js: the
// instance's send_event (through which Channel#subscribe sends
// pusher:subscribe) and the raw messages of its current transport.
//
//   import Pusher from 'pusher-js';
//   import { recovery } from 'fanout-pusher-recovery';
//   const pusher = new Pusher(key, { wsHost, ... });
//   recovery(pusher);
//   pusher.subscribe('orders-42').bind('fanout:recovery', ({ recovered }) => { ... });
//
// Laravel Echo: recovery(echo.connector.pusher).

/** The event the helper emits on a channel after a recovery attempt. */
export const RECOVERY_EVENT = 'fanout:recovery';

/**
 * Adds recovery to a pusher-js client. Call it once, right after
 * constructing the client (before it connects, or at least before the
 * first reconnect).
 *
 * @param {object} pusher a pusher-js Pusher instance (version 7 or 8)
 * @returns {{position(channel: string): ({epoch: string, offset: number}|undefined), forget(channel: string): void, detach(): void}}
 */
export function recovery(pusher) {
  const positions = new Map(); // channel name -> last position seen
  const asked = new Set(); // channels whose pending subscribe asked to recover
  const sendEvent = pusher.send_event;
  let transport = null;

  pusher.send_event = function (name, data, channel) {
    if (name === 'pusher:subscribe' && data && positions.has(data.channel)) {
      asked.add(data.channel);
      data = { ...data, recover: positions.get(data.channel) };
    } else if (name === 'pusher:unsubscribe' && data) {
      positions.delete(data.channel);
      asked.delete(data.channel);
    }
    return sendEvent.call(this, name, data, channel);
  };

  const onMessage = (message) => {
    let m;
    try {
      m = JSON.parse(message.data);
    } catch {
      return;
    }
    if (!m || typeof m.channel !== 'string') return;
    if (m.event === 'pusher_internal:subscription_succeeded') {
      succeeded(m);
    } else if (m.position && typeof m.position.epoch === 'string') {
      positions.set(m.channel, m.position);
    }
  };

  const succeeded = (m) => {
    let data = m.data;
    if (typeof data === 'string') {
      try {
        data = JSON.parse(data);
      } catch {
        return;
      }
    }
    if (!data || !data.position) return; // a channel without history
    positions.set(m.channel, data.position);
    if (!asked.delete(m.channel)) return;
    const ch = pusher.channel(m.channel);
    // After pusher-js has handled subscription_succeeded itself.
    if (ch) queueMicrotask(() => ch.emit(RECOVERY_EVENT, { recovered: data.recovered === true, position: data.position }));
  };

  // Each (re)connection has a new transport; listen to its raw messages,
  // which still carry "position".
  const attach = () => {
    const t = pusher.connection && pusher.connection.connection && pusher.connection.connection.transport;
    if (!t || t === transport) return;
    if (transport) transport.unbind('message', onMessage);
    transport = t;
    transport.bind('message', onMessage);
  };
  pusher.connection.bind('connected', attach);
  attach();

  return {
    position: (channel) => positions.get(channel),
    forget: (channel) => {
      positions.delete(channel);
      asked.delete(channel);
    },
    detach: () => {
      pusher.send_event = sendEvent;
      pusher.connection.unbind('connected', attach);
      if (transport) transport.unbind('message', onMessage);
      transport = null;
    },
  };
}
