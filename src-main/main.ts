import { app, BrowserWindow, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { createHandlers } from './engine/api/handlers';
import { Engine } from './engine/engine';
import { resolveHome } from './engine/home';
import { Scheduler } from './engine/jobs/scheduler';
import { forwardEvents, registerIpcHandlers } from './ipc/register-handlers';
import { SafeStorageSecretBox } from './safe-storage-secret-box';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const windows = new Set<WebContents>();
let engine: Engine | undefined;

function rendererUrl(): string {
  return (
    process.env.ELECTRON_RENDERER_URL ??
    `file://${join(import.meta.dirname, '../renderer/index.html')}`
  );
}

/** Only our own windows, still showing our own renderer, may call the engine. */
function isTrusted(sender: WebContents, frameUrl: string): boolean {
  const base = rendererUrl().replace(/index\.html$/, '');
  return windows.has(sender) && frameUrl.startsWith(base);
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Hyperkeep',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  const contents = window.webContents;
  windows.add(contents);
  contents.on('destroyed', () => windows.delete(contents));
  // No remote content: links open in the user's browser, navigation away from the console is refused.
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(rendererUrl())) event.preventDefault();
  });
  void window.loadURL(rendererUrl());
}

async function start(): Promise<void> {
  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  try {
    engine = Engine.open({
      home: resolveHome(),
      mode: 'electron',
      secretBox: new SafeStorageSecretBox(),
    });
  } catch (err) {
    const { dialog } = await import('electron');
    dialog.showErrorBox('Hyperkeep cannot start', (err as Error).message);
    app.quit();
    return;
  }
  registerIpcHandlers(engine, createHandlers(engine), isTrusted);
  forwardEvents(engine, () => [...windows]);
  new Scheduler(engine, (line) => console.log(line));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => {
  void engine?.close();
});

void start();
