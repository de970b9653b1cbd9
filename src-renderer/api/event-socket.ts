import { events, type EventName } from '../../shared/contract';
import { summarizeIssues } from './envelope';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface ConnectionStatus {
  state: ConnectionState;
  /** True once the socket has been open at least once: tells "lost" apart from "never reached". */
  everConnected: boolean;
  /** When the next attempt starts (epoch ms), while reconnecting. */
  nextAttemptAt?: number;
  /** Consecutive failed attempts since the last successful connection. */
  failures: number;
}

type Listener = (payload: unknown) => void;
type StatusListener = (status: ConnectionStatus) => void;

/** Backoff after each consecutive failure: quick at first, then no more than every 15 s. */
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000] as const;

export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const base = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length) - 1] ?? BACKOFF_MS[0];
  // ±20 % jitter so many consoles do not hammer a restarted server in lockstep.
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * The engine's event stream over one WebSocket (`/api/events`, same origin, cookie auth). It opens
 * when the first listener subscribes, reconnects with backoff when dropped, and closes when the
 * last listener leaves. Every payload is checked against the contract before listeners see it.
 */
export class EventSocket {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly statusListeners = new Set<StatusListener>();
  private socket: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private status: ConnectionStatus = { state: 'connecting', everConnected: false, failures: 0 };

  constructor(private readonly url: string) {}

  subscribe(event: EventName, listener: Listener): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    this.ensureOpen();
    return () => {
      set.delete(listener);
      this.closeIfUnused();
    };
  }

  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    listener(this.status);
    this.ensureOpen();
    return () => {
      this.statusListeners.delete(listener);
      this.closeIfUnused();
    };
  }

  close(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  private hasListeners(): boolean {
    if (this.statusListeners.size > 0) return true;
    for (const set of this.listeners.values()) if (set.size > 0) return true;
    return false;
  }

  private closeIfUnused(): void {
    if (!this.hasListeners()) this.close();
  }

  private ensureOpen(): void {
    if (this.socket !== null || this.retryTimer !== null) return;
    this.connect();
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    for (const listener of [...this.statusListeners]) listener(status);
  }

  private connect(): void {
    this.retryTimer = null;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      this.setStatus({ state: 'connected', everConnected: true, failures: 0 });
    });
    socket.addEventListener('message', (message) => {
      if (this.socket === socket) this.dispatch(message.data);
    });
    socket.addEventListener('close', () => {
      // A socket we replaced or closed on purpose says nothing about the connection.
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (!this.hasListeners()) return;
    const failures = this.status.state === 'connected' ? 1 : this.status.failures + 1;
    const delay = backoffDelay(failures);
    this.setStatus({
      state: 'reconnecting',
      everConnected: this.status.everConnected,
      failures,
      nextAttemptAt: Date.now() + delay,
    });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private dispatch(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      console.error('Hyperkeep: ignored an event that is not JSON:', data.slice(0, 200));
      return;
    }
    if (typeof message !== 'object' || message === null || !('event' in message)) return;
    const name = (message as { event: unknown }).event;
    if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(events, name)) return;
    const payload = events[name as EventName].safeParse((message as { payload?: unknown }).payload);
    if (!payload.success) {
      console.error(
        `Hyperkeep: ignored event ${name}, its payload does not match the contract: ${summarizeIssues(payload.error)}`,
      );
      return;
    }
    for (const listener of [...(this.listeners.get(name) ?? [])]) listener(payload.data);
  }
}
