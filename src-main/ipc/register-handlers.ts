import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { channels } from '../../shared/contract';
import type { Result } from '../../shared/errors';
import { dispatch } from '../engine/api/dispatch';
import type { Handlers } from '../engine/api/handlers';
import type { Engine } from '../engine/engine';

/**
 * The one place that registers IPC handlers: trusted sender → schema → engine → result as data.
 * Messages from any web contents we did not create (or from a frame that navigated away from our
 * renderer) are dropped, as GitHub Desktop does.
 */
export function registerIpcHandlers(
  engine: Engine,
  handlers: Handlers,
  isTrusted: (sender: WebContents, frameUrl: string) => boolean,
): () => void {
  for (const channel of channels) {
    ipcMain.handle(
      channel,
      async (event: IpcMainInvokeEvent, payload: unknown): Promise<Result<unknown>> => {
        if (!isTrusted(event.sender, event.senderFrame?.url ?? '')) {
          return {
            ok: false,
            error: { code: 'UNAUTHORIZED', message: 'IPC from an untrusted sender was refused.' },
          };
        }
        return dispatch(handlers, channel, payload);
      },
    );
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}

/** Forwards every engine event to the windows we created. */
export function forwardEvents(engine: Engine, targets: () => WebContents[]): () => void {
  return engine.events.onAny((event, payload) => {
    for (const contents of targets())
      if (!contents.isDestroyed()) contents.send(`event:${event}`, payload);
  });
}
