import type { DiscoveryResult, VmAssignment } from '../../../shared/domain/backup-set';
import type { SubclientContent } from '../../../shared/domain/rules';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import type { HypervisorStore } from '../hypervisors/hypervisor-store';
import type { Inventory } from '../hypervisors/inventory';
import type { BackupSetStore } from './backup-set-store';
import { evaluateRules, excludingGlob, validateContent, type RuleSubject } from './rule-evaluator';

interface AssignmentRow {
  vm_uuid: string;
  vm_name: string;
  hypervisor_id: string;
  host: string;
  power_state: string;
  subclient_id: string | null;
  reason: string;
  manual: number;
  status: VmAssignment['status'];
  first_seen: string;
  last_seen: string;
}

const MANUAL_REASON = 'assigned manually';

/**
 * FIG. 3: at Discover time (and at every backup) ask each target of the backup set for its VMs,
 * then place every VM: a manual assignment wins, then the subclients' rules in order, then the
 * default subclient if "automatically add" is on. VMs that disappeared are marked vanished, never
 * dropped; VMs of a target that could not be asked keep their last known state.
 */
export class Discovery {
  constructor(
    private readonly db: CatalogDb,
    private readonly sets: BackupSetStore,
    private readonly hypervisors: HypervisorStore,
    private readonly inventory: Inventory,
  ) {}

  /**
   * Where a VM no rule claims goes: to the default subclient when automatic add is on, unless
   * the default subclient's VM filter names it (Commvault's default-subclient filter: "protect
   * everything except test-*" without a catch-all rule).
   */
  private unclaimed(
    vmName: string,
    autoAdd: boolean,
    defaultSubclient: { id: string; settings: { filters: { excludeVms: string[] } } },
  ): { subclient: string | null; reason: string; manual: 0 } {
    if (!autoAdd)
      return {
        subclient: null,
        reason: 'matches no subclient rule; NOT protected (automatic add of unmatched VMs is off)',
        manual: 0,
      };
    const filter = excludingGlob(defaultSubclient.settings.filters.excludeVms, vmName);
    if (filter !== undefined)
      return {
        subclient: null,
        reason: `matches no subclient rule; NOT protected (the default subclient excludes "${filter}")`,
        manual: 0,
      };
    return {
      subclient: defaultSubclient.id,
      reason: 'matches no subclient rule; added to the default subclient (automatic add is on)',
      manual: 0,
    };
  }

  async run(backupSetId: string): Promise<DiscoveryResult> {
    const set = this.sets.get(backupSetId);
    const { subjects, errors, reachable } = await this.ask(set.hypervisorIds);
    const custom = set.subclients.filter((s) => !s.isDefault);
    const ruleSets = set.autoDiscovery
      ? custom.map((s) => ({
          subclientId: s.id,
          subclientName: s.name,
          content: s.content,
          excludeVms: s.settings.filters.excludeVms,
        }))
      : [];
    const { memberships, warnings } = evaluateRules(ruleSets, subjects);
    const defaultSubclient = set.subclients.find((s) => s.isDefault)!;
    const subclientIds = new Set(set.subclients.map((s) => s.id));
    const existing = new Map(this.rows(backupSetId).map((r) => [r.vm_uuid, r]));
    const now = new Date().toISOString();
    const seen = new Set<string>();

    const upsert = this.db.prepare(
      `INSERT INTO vm_assignments (backup_set_id, vm_uuid, vm_name, hypervisor_id, host, power_state, subclient_id, reason, manual, status, first_seen, last_seen)
       VALUES (@set, @uuid, @name, @hypervisor, @host, @state, @subclient, @reason, @manual, @status, @firstSeen, @lastSeen)
       ON CONFLICT (backup_set_id, vm_uuid) DO UPDATE SET vm_name = @name, hypervisor_id = @hypervisor, host = @host, power_state = @state,
         subclient_id = @subclient, reason = @reason, manual = @manual, status = @status, last_seen = @lastSeen`,
    );
    this.db
      .transaction(() => {
        subjects.forEach(({ vm }, i) => {
          seen.add(vm.uuid);
          const before = existing.get(vm.uuid);
          const keepManual =
            before?.manual === 1 &&
            before.subclient_id !== null &&
            subclientIds.has(before.subclient_id);
          const membership = memberships[i];
          const placement = keepManual
            ? { subclient: before.subclient_id, reason: MANUAL_REASON, manual: 1 }
            : membership
              ? { subclient: membership.subclientId, reason: membership.reason, manual: 0 }
              : this.unclaimed(vm.name, set.autoAddUnmatched, defaultSubclient);
          upsert.run({
            set: backupSetId,
            uuid: vm.uuid,
            name: vm.name,
            hypervisor: vm.hypervisorId,
            host: vm.host,
            state: vm.powerState,
            ...placement,
            status: before && before.status !== 'vanished' ? 'present' : 'new',
            firstSeen: before?.first_seen ?? now,
            lastSeen: now,
          });
        });
        for (const row of existing.values()) {
          if (
            !seen.has(row.vm_uuid) &&
            reachable.has(row.hypervisor_id) &&
            row.status !== 'vanished'
          ) {
            this.db
              .prepare(
                "UPDATE vm_assignments SET status = 'vanished', reason = ? WHERE backup_set_id = ? AND vm_uuid = ?",
              )
              .run(
                `vanished: not reported by its hypervisor since ${row.last_seen}`,
                backupSetId,
                row.vm_uuid,
              );
          }
        }
      })
      .immediate();
    return { ...this.assignments(backupSetId, now), errors, warnings };
  }

  /** The last discovery's outcome as stored, without asking any hypervisor. */
  assignments(backupSetId: string, discoveredAt?: string): DiscoveryResult {
    const set = this.sets.get(backupSetId);
    const names = new Map(set.subclients.map((s) => [s.id, s.name]));
    const hypervisorNames = new Map(this.hypervisors.list().map((h) => [h.id, h.name]));
    const rows = this.rows(backupSetId);
    return {
      backupSetId,
      discoveredAt:
        discoveredAt ??
        rows.reduce((latest, r) => (r.last_seen > latest ? r.last_seen : latest), ''),
      assignments: rows.map((r) => ({
        vmUuid: r.vm_uuid,
        vmName: r.vm_name,
        hypervisorId: r.hypervisor_id,
        hypervisorName: hypervisorNames.get(r.hypervisor_id) ?? '(removed)',
        host: r.host,
        powerState: r.power_state,
        subclientId: r.subclient_id,
        subclientName: r.subclient_id ? (names.get(r.subclient_id) ?? null) : null,
        reason: r.reason,
        manual: r.manual === 1,
        status: r.status,
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
      })),
      errors: [],
      warnings: [],
    };
  }

  /**
   * FIG. 5B "Change all selected virtual machines to sub-client": a manual assignment that
   * survives rediscovery. `subclientId: null` hands the VMs back to the rules (rediscovers).
   */
  async assign(
    backupSetId: string,
    vmUuids: string[],
    subclientId: string | null,
  ): Promise<DiscoveryResult> {
    const set = this.sets.get(backupSetId);
    if (subclientId !== null && !set.subclients.some((s) => s.id === subclientId)) {
      throw new HyperkeepError('NOT_FOUND', 'That subclient does not belong to this backup set.', {
        field: 'subclientId',
      });
    }
    const known = new Set(this.rows(backupSetId).map((r) => r.vm_uuid));
    const unknown = vmUuids.filter((u) => !known.has(u));
    if (unknown.length > 0) {
      throw new HyperkeepError(
        'NOT_FOUND',
        `Not discovered in this backup set yet: ${unknown.join(', ')}. Run Discover first.`,
        { vmUuids: unknown },
      );
    }
    const update = this.db.prepare(
      'UPDATE vm_assignments SET subclient_id = ?, manual = ?, reason = ? WHERE backup_set_id = ? AND vm_uuid = ?',
    );
    this.db
      .transaction(() => {
        for (const uuid of vmUuids)
          update.run(
            subclientId,
            subclientId === null ? 0 : 1,
            subclientId === null ? 'returned to the rules' : MANUAL_REASON,
            backupSetId,
            uuid,
          );
      })
      .immediate();
    return subclientId === null ? this.run(backupSetId) : this.assignments(backupSetId);
  }

  /** Live preview for the rule dialog: which VMs of the set these rules match right now. */
  async preview(backupSetId: string, content: SubclientContent) {
    validateContent(content);
    const set = this.sets.get(backupSetId);
    const { subjects, errors } = await this.ask(set.hypervisorIds);
    const { memberships, warnings } = evaluateRules(
      [{ subclientId: 'preview', subclientName: 'preview', content, excludeVms: [] }],
      subjects,
    );
    const matches = subjects.flatMap(({ vm }, i) => {
      const m = memberships[i];
      return m
        ? [
            {
              vmUuid: vm.uuid,
              vmName: vm.name,
              host: vm.host,
              hypervisorName: vm.hypervisorName,
              reason: m.reason.replace(/ \(subclient preview\)$/, ''),
            },
          ]
        : [];
    });
    return { matches, total: subjects.length, errors, warnings };
  }

  private async ask(hypervisorIds: string[]) {
    const subjects: RuleSubject[] = [];
    const errors: DiscoveryResult['errors'] = [];
    const reachable = new Set<string>();
    const answers = await Promise.all(hypervisorIds.map((id) => this.inventory.listVms(id)));
    answers.forEach((answer, i) => {
      const hypervisor = this.hypervisors.get(hypervisorIds[i]!);
      for (const e of answer.errors)
        errors.push({
          hypervisorId: e.hypervisorId,
          hypervisorName: e.hypervisorName,
          message: e.error.message,
        });
      if (answer.errors.length === 0) reachable.add(hypervisor.id);
      for (const vm of answer.vms as VirtualMachine[]) {
        subjects.push({
          vm,
          hostNames: [hypervisor.name, vm.host, hypervisor.hostname ?? ''].filter(Boolean),
        });
      }
    });
    return { subjects, errors, reachable };
  }

  private rows(backupSetId: string): AssignmentRow[] {
    return this.db
      .prepare('SELECT * FROM vm_assignments WHERE backup_set_id = ? ORDER BY host, vm_name')
      .all(backupSetId) as AssignmentRow[];
  }
}
