/**
 * The vSphere Web Services API over SOAP: one method call at a time through the pinned HTTPS
 * connection, the session cookie kept between calls, faults turned into HyperkeepErrors. The
 * session survives the server forgetting it (vCenter expires idle sessions after 30 minutes, an
 * administrator can terminate it): a NotAuthenticated fault logs in again once and repeats the call.
 */
import { HyperkeepError } from '../../../../shared/errors';
import type { PinnedHttps } from './pinned-https';
import {
  childNamed,
  el,
  moRef,
  parseSoapXml,
  soapEnvelope,
  textAt,
  type XmlElement,
  type XmlNode,
} from './soap-xml';

export interface MoRef {
  type: string;
  value: string;
}

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  customFieldsManager: MoRef | undefined;
  searchIndex: MoRef;
  fileManager: MoRef | undefined;
  /** VirtualCenter (vCenter) or HostAgent (ESX). */
  apiType: string;
  fullName: string;
  apiVersion: string;
  instanceUuid: string | undefined;
}

const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };
/** SOAP replies of inventory-sized calls; datastore files go through /folder, not here. */
const MAX_REPLY_BYTES = 256 * 1024 * 1024;
/** Keeps the session from idling out (vCenter's default idle timeout is 30 minutes). */
const KEEP_ALIVE_MS = 10 * 60 * 1000;

/** Fault names from the vSphere API, as `details.fault` of the thrown HyperkeepError. */
export function faultOf(err: unknown): string | undefined {
  if (!(err instanceof HyperkeepError)) return undefined;
  const fault = err.details?.['fault'];
  return typeof fault === 'string' ? fault : undefined;
}

export function vimFault(fault: string, message: string): HyperkeepError {
  const code =
    fault === 'InvalidLogin' || fault === 'NotAuthenticated'
      ? 'AUTH_FAILED'
      : fault === 'ManagedObjectNotFound' || fault === 'NotFound' || fault === 'FileNotFound'
        ? 'NOT_FOUND'
        : 'HYPERVISOR_ERROR';
  return new HyperkeepError(code, message, { fault });
}

export function readMoRef(node: XmlNode | undefined): MoRef | undefined {
  const type = node?.attrs['type'];
  return node && type ? { type, value: node.text } : undefined;
}

export class VimClient {
  private cookie: string | undefined;
  private content: ServiceContent | undefined;
  private loggingIn: Promise<void> | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  /** How many times a lost session was replaced: visible to tests and the job log. */
  relogins = 0;

  constructor(
    readonly https: PinnedHttps,
    private readonly username: string,
    private readonly password: string,
  ) {}

  get loggedIn(): boolean {
    return this.cookie !== undefined;
  }

  /** The session cookie value the server knows this client by (its session key). */
  get sessionKey(): string | undefined {
    return this.cookie?.replace(/^[^=]*=/, '').replace(/^"|"$/g, '');
  }

  /** The Cookie header for /folder requests, which share the SOAP session. */
  get cookieHeader(): string | undefined {
    return this.cookie;
  }

  async serviceContent(signal?: AbortSignal): Promise<ServiceContent> {
    if (this.content) return this.content;
    const reply = await this.send(
      'RetrieveServiceContent',
      [moRef('_this', SERVICE_INSTANCE)],
      signal,
    );
    const r = childNamed(reply, 'returnval');
    const ref = (name: string): MoRef | undefined => readMoRef(childNamed(r, name));
    const must = (name: string): MoRef => {
      const found = ref(name);
      if (!found)
        throw new HyperkeepError(
          'HYPERVISOR_ERROR',
          `The vSphere server's ServiceContent has no ${name}: is ${this.https.url.href} a vSphere SDK endpoint?`,
        );
      return found;
    };
    this.content = {
      rootFolder: must('rootFolder'),
      propertyCollector: must('propertyCollector'),
      viewManager: must('viewManager'),
      sessionManager: must('sessionManager'),
      searchIndex: must('searchIndex'),
      customFieldsManager: ref('customFieldsManager'),
      fileManager: ref('fileManager'),
      apiType: textAt(r, 'about.apiType') ?? '',
      fullName: textAt(r, 'about.fullName') ?? '',
      apiVersion: textAt(r, 'about.apiVersion') ?? '',
      instanceUuid: textAt(r, 'about.instanceUuid'),
    };
    return this.content;
  }

  /** Logs in unless a session is open; concurrent callers share one Login. */
  async login(signal?: AbortSignal): Promise<void> {
    if (this.cookie) return;
    this.loggingIn ??= this.doLogin(signal).finally(() => {
      this.loggingIn = undefined;
    });
    return this.loggingIn;
  }

  private async doLogin(signal?: AbortSignal): Promise<void> {
    const content = await this.serviceContent(signal);
    try {
      await this.send(
        'Login',
        [
          moRef('_this', content.sessionManager),
          el('userName', this.username),
          el('password', this.password),
        ],
        signal,
      );
    } catch (err) {
      if (faultOf(err) === 'InvalidLogin') {
        throw new HyperkeepError(
          'AUTH_FAILED',
          `The vSphere server at ${this.https.url.host} refused user "${this.username}": wrong user name or password (or the account is locked).`,
          { fault: 'InvalidLogin' },
        );
      }
      throw err;
    }
    if (!this.cookie) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The vSphere server at ${this.https.url.host} accepted the login but sent no session cookie`,
      );
    }
    this.startKeepAlive();
  }

  private startKeepAlive(): void {
    if (this.keepAlive) return;
    this.keepAlive = setInterval(() => {
      // CurrentTime is the cheapest call that counts as activity; a lost session is replaced by call().
      void this.call('CurrentTime', [moRef('_this', SERVICE_INSTANCE)]).catch(() => undefined);
    }, KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  /**
   * Calls `method` in the session, logging in first and once more when the server no longer knows
   * the session. `check` inspects a reply that reports the lost session inside the result instead
   * of as a fault (RetrievePropertiesEx answers with a NotAuthenticated MissingSet).
   */
  async call(
    method: string,
    args: readonly XmlElement[],
    options: { signal?: AbortSignal; check?: (reply: XmlNode) => void } = {},
  ): Promise<XmlNode> {
    for (let attempt = 0; ; attempt++) {
      await this.login(options.signal);
      try {
        const reply = await this.send(method, args, options.signal);
        options.check?.(reply);
        return reply;
      } catch (err) {
        if (faultOf(err) !== 'NotAuthenticated' || attempt > 0) throw err;
        this.cookie = undefined;
        this.relogins++;
      }
    }
  }

  /** One SOAP request; returns the `<method>Response` element. */
  private async send(
    method: string,
    args: readonly XmlElement[],
    signal?: AbortSignal,
  ): Promise<XmlNode> {
    const reply = await this.https.request({
      method: 'POST',
      path: this.https.url.pathname,
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        SOAPAction: 'urn:vim25/6.5',
        ...(this.cookie ? { Cookie: this.cookie } : {}),
      },
      body: soapEnvelope(method, args),
      maxBytes: MAX_REPLY_BYTES,
      ...(signal ? { signal } : {}),
    });
    const setCookie = reply.headers['set-cookie']?.find((c) =>
      c.startsWith('vmware_soap_session='),
    );
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = reply.body.toString('utf8');
    if (!/^\s*</.test(text)) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `${this.https.url.href} answered ${method} with HTTP ${reply.status} and no SOAP reply: is this the vSphere SDK URL (https://host/sdk)?`,
      );
    }
    const envelope = parseSoapXml(text, method);
    const body = childNamed(envelope, 'Body');
    const fault = childNamed(body, 'Fault');
    if (fault) throw this.fault(method, fault);
    const response = body?.children[0];
    if (!response)
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The vSphere server answered ${method} with an empty SOAP body`,
      );
    return response;
  }

  private fault(method: string, fault: XmlNode): HyperkeepError {
    const detail = childNamed(fault, 'detail')?.children[0];
    const type = detail?.xsiType ?? detail?.name.replace(/Fault$/, '') ?? 'SystemError';
    const text = textAt(fault, 'faultstring')?.trim();
    return vimFault(type, `vSphere ${method} failed: ${type}${text ? ` — ${text}` : ''}`);
  }

  /** Ends the session on the server; a server that already forgot it is fine. */
  async logout(): Promise<void> {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    if (!this.cookie || !this.content) return;
    try {
      await this.send('Logout', [moRef('_this', this.content.sessionManager)]);
    } catch {
      // The session may already be gone (expired or terminated): nothing left to end.
    }
    this.cookie = undefined;
  }
}
