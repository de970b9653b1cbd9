/**
 * Reading managed objects through the PropertyCollector: everything of some types below a folder
 * (a ContainerView traversed once, results paged with ContinueRetrievePropertiesEx) or chosen
 * properties of one object. Tasks (CreateSnapshot_Task, …) are polled here too.
 */
import { HyperkeepError } from '../../../../shared/errors';
import {
  childNamed,
  childrenNamed,
  el,
  moRef,
  textAt,
  type XmlElement,
  type XmlNode,
} from './soap-xml';
import { readMoRef, vimFault, type MoRef, type VimClient } from './vim-client';

export interface ObjectContent {
  obj: MoRef;
  /** Property path → its <val> element. */
  props: Map<string, XmlNode>;
}

/** Pages of results fetched per inventory; a vCenter of 100 000 objects is 100 pages. */
const MAX_PAGES = 10_000;
const PAGE_SIZE = 1000;
const TASK_POLL_MS = 200;

/** RetrievePropertiesEx without a live session answers with NotAuthenticated per property. */
function checkAuthenticated(reply: XmlNode): void {
  for (const obj of childrenNamed(childNamed(reply, 'returnval'), 'objects')) {
    for (const missing of childrenNamed(obj, 'missingSet')) {
      if (childNamed(missing, 'fault')?.children.some((f) => f.xsiType === 'NotAuthenticated')) {
        throw vimFault('NotAuthenticated', 'The vSphere session is no longer valid');
      }
    }
  }
}

function readObjects(returnval: XmlNode | undefined, out: ObjectContent[]): void {
  for (const obj of childrenNamed(returnval, 'objects')) {
    const ref = readMoRef(childNamed(obj, 'obj'));
    if (!ref) continue;
    const props = new Map<string, XmlNode>();
    for (const p of childrenNamed(obj, 'propSet')) {
      const name = textAt(p, 'name');
      const val = childNamed(p, 'val');
      if (name !== undefined && val) props.set(name, val);
    }
    out.push({ obj: ref, props });
  }
}

async function retrieve(
  client: VimClient,
  specSet: XmlElement,
  signal?: AbortSignal,
): Promise<ObjectContent[]> {
  const content = await client.serviceContent(signal);
  const pc = moRef('_this', content.propertyCollector);
  const out: ObjectContent[] = [];
  let reply = await client.call(
    'RetrievePropertiesEx',
    [pc, specSet, el('options', [el('maxObjects', PAGE_SIZE)])],
    { check: checkAuthenticated, ...(signal ? { signal } : {}) },
  );
  for (let page = 0; page < MAX_PAGES; page++) {
    const returnval = childNamed(reply, 'returnval');
    readObjects(returnval, out);
    const token = textAt(returnval, 'token');
    if (token === undefined || token === '') return out;
    reply = await client.call('ContinueRetrievePropertiesEx', [pc, el('token', token)], {
      check: checkAuthenticated,
      ...(signal ? { signal } : {}),
    });
  }
  throw new HyperkeepError(
    'HYPERVISOR_ERROR',
    `The vSphere inventory did not end after ${MAX_PAGES} pages`,
  );
}

/** Chosen properties of every object of `types` (type → property paths) below `container`. */
export async function retrieveInventory(
  client: VimClient,
  container: MoRef,
  types: Record<string, readonly string[]>,
  signal?: AbortSignal,
): Promise<ObjectContent[]> {
  const content = await client.serviceContent(signal);
  const viewReply = await client.call(
    'CreateContainerView',
    [
      moRef('_this', content.viewManager),
      moRef('container', container),
      ...Object.keys(types).map((t) => el('type', t)),
      el('recursive', true),
    ],
    signal ? { signal } : {},
  );
  const view = readMoRef(childNamed(viewReply, 'returnval'));
  if (!view) throw new HyperkeepError('HYPERVISOR_ERROR', 'CreateContainerView returned no view');
  try {
    const propSets = Object.entries(types).map(([type, paths]) =>
      el('propSet', [el('type', type), ...paths.map((p) => el('pathSet', p))]),
    );
    const objectSet = el('objectSet', [
      moRef('obj', view),
      el('skip', true),
      el('selectSet', [el('type', 'ContainerView'), el('path', 'view')], {
        xsiType: 'TraversalSpec',
      }),
    ]);
    return await retrieve(client, el('specSet', [...propSets, objectSet]), signal);
  } finally {
    // Views live as long as the session; destroying them keeps a long-lived session small.
    await client.call('DestroyView', [moRef('_this', view)]).catch(() => undefined);
  }
}

/** Chosen properties of one object. */
export async function retrieveObject(
  client: VimClient,
  obj: MoRef,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, XmlNode>> {
  const spec = el('specSet', [
    el('propSet', [el('type', obj.type), ...paths.map((p) => el('pathSet', p))]),
    el('objectSet', [moRef('obj', obj), el('skip', false)]),
  ]);
  const [found] = await retrieve(client, spec, signal);
  if (!found)
    throw vimFault(
      'ManagedObjectNotFound',
      `vSphere object ${obj.type} ${obj.value} no longer exists`,
    );
  return found.props;
}

/** Waits for a task to end; returns its result element (a snapshot reference, a VM…). */
export async function waitForTask(
  client: VimClient,
  task: MoRef,
  what: string,
  signal?: AbortSignal,
): Promise<XmlNode | undefined> {
  for (;;) {
    if (signal?.aborted) throw new HyperkeepError('CANCELLED', `Stopped waiting for ${what}`);
    const props = await retrieveObject(
      client,
      task,
      ['info.state', 'info.result', 'info.error'],
      signal,
    );
    const state = props.get('info.state')?.text;
    if (state === 'success') return props.get('info.result');
    if (state === 'error') {
      const error = props.get('info.error');
      const fault = childNamed(error, 'fault')?.xsiType ?? 'SystemError';
      const message = textAt(error, 'localizedMessage') || fault;
      throw vimFault(fault, `vSphere could not ${what}: ${message}`);
    }
    await new Promise((r) => setTimeout(r, TASK_POLL_MS));
  }
}
