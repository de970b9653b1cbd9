import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '../../shared/contract';

/** Typed event bus: what the consoles (IPC or WebSocket) are told about. */
export class EngineEvents {
  private readonly emitter = new EventEmitter();
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', event, payload);
  }
  /** Every event, for transports that forward them all. Returns an unsubscribe function. */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
