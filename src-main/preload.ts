import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channels, eventNames, type EventName, type HyperkeepApi } from '../shared/contract';

// Exactly the contract: one function per channel, and `on` for the engine's events. Nothing of
// ipcRenderer itself reaches the page.
const api: Record<string, unknown> = {};
for (const channel of channels)
  api[channel] = (request: unknown) => ipcRenderer.invoke(channel, request);
api.on = (event: EventName, listener: (payload: unknown) => void) => {
  if (!eventNames.includes(event)) throw new Error(`Unknown event ${event}`);
  const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(`event:${event}`, wrapped);
  return () => ipcRenderer.off(`event:${event}`, wrapped);
};

contextBridge.exposeInMainWorld('hyperkeep', api as HyperkeepApi);
