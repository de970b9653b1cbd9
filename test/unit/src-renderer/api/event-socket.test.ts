import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  backoffDelay,
  EventSocket,
  type ConnectionStatus,
} from '../../../../src-renderer/api/event-socket';

// A real WebSocket server on a fixed port, so it can be stopped and started again like
// `hyperkeep serve` restarting; the client is Node's own WebSocket, as in a browser.
interface Events {
  http: Server;
  wss: WebSocketServer;
}

async function startEvents(port = 0): Promise<Events & { port: number }> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/api/events' });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  return { http, wss, port: (http.address() as AddressInfo).port };
}

async function stopEvents({ http, wss }: Events): Promise<void> {
  for (const client of wss.clients) client.terminate();
  wss.close();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
}

function broadcast({ wss }: Events, message: unknown): void {
  for (const client of wss.clients) client.send(JSON.stringify(message));
}

async function waitFor(condition: () => boolean, timeoutMs = 8000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('EventSocket', () => {
  it('delivers only events whose payload matches the contract', async () => {
    const server = await startEvents();
    cleanups.push(() => stopEvents(server));
    const socket = new EventSocket(`ws://127.0.0.1:${server.port}/api/events`);
    cleanups.push(() => socket.close());
    const received: unknown[] = [];
    const statuses: ConnectionStatus[] = [];
    socket.onStatus((s) => statuses.push(s));
    socket.subscribe('inventory.changed', (payload) => received.push(payload));
    await waitFor(() => statuses.at(-1)?.state === 'connected');
    await waitFor(() => server.wss.clients.size === 1);

    broadcast(server, { event: 'inventory.changed', payload: { hypervisorId: 'h1' } });
    broadcast(server, { event: 'inventory.changed', payload: { hypervisorId: 42 } });
    broadcast(server, { event: 'hypervisors.changed', payload: {} });
    broadcast(server, { event: 'inventory.changed', payload: {} });
    await waitFor(() => received.length === 2);
    expect(received).toEqual([{ hypervisorId: 'h1' }, {}]);
  });

  it('reports the drop and reconnects when the server comes back', async () => {
    const first = await startEvents();
    const socket = new EventSocket(`ws://127.0.0.1:${first.port}/api/events`);
    cleanups.push(() => socket.close());
    const statuses: ConnectionStatus[] = [];
    const received: unknown[] = [];
    socket.onStatus((s) => statuses.push(s));
    socket.subscribe('hypervisors.changed', (payload) => received.push(payload));
    await waitFor(() => statuses.at(-1)?.state === 'connected');

    await stopEvents(first);
    await waitFor(() => statuses.at(-1)?.state === 'reconnecting');
    expect(statuses.at(-1)).toMatchObject({ everConnected: true, failures: 1 });

    const second = await startEvents(first.port);
    cleanups.push(() => stopEvents(second));
    await waitFor(() => statuses.at(-1)?.state === 'connected');
    await waitFor(() => second.wss.clients.size === 1);
    broadcast(second, { event: 'hypervisors.changed', payload: {} });
    await waitFor(() => received.length === 1);
  });

  it('closes the connection when the last listener leaves', async () => {
    const server = await startEvents();
    cleanups.push(() => stopEvents(server));
    const socket = new EventSocket(`ws://127.0.0.1:${server.port}/api/events`);
    const unsubscribe = socket.subscribe('hypervisors.changed', () => undefined);
    await waitFor(() => server.wss.clients.size === 1);
    unsubscribe();
    await waitFor(() => server.wss.clients.size === 0);
  });
});

describe('backoffDelay', () => {
  it('grows with failures up to 15 s, with ±20 % jitter', () => {
    expect(backoffDelay(1, () => 0.5)).toBe(500);
    expect(backoffDelay(3, () => 0.5)).toBe(2000);
    expect(backoffDelay(50, () => 0.5)).toBe(15000);
    expect(backoffDelay(50, () => 0)).toBe(12000);
    expect(backoffDelay(50, () => 1)).toBe(18000);
  });
});
