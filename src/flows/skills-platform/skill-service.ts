/**
 * The skill service: owns the skills and publishes skill.created / skill.updated /
 * skill.deleted with the correlation id of the HTTP request that caused them.
 */
import { randomUUID } from 'node:crypto';
import type { SkillCreatedInput, SkillDeletedInput, SkillUpdatedInput } from '../../../generated/skills-platform/index.js';
import { defined, serviceClient, type ServiceContext } from './context.js';

export const SKILL_FIELDS = ['name', 'description', 'version', 'category'] as const;
type SkillField = (typeof SKILL_FIELDS)[number];

export interface Skill {
  skill_id: string;
  name: string;
  description?: string;
  version?: string;
  category?: string;
  created_by?: string;
  created_at: string;
  updated_at: string;
}

export type SkillInput = Pick<Skill, 'name' | 'description' | 'version' | 'category' | 'created_by'>;
export type SkillPatch = Partial<Pick<Skill, SkillField>>;

export function startSkillService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('skill-service', ctx);
  const skills = new Map<string, Skill>();

  return {
    get: (id: string): Skill | undefined => skills.get(id),
    list: (): Skill[] => [...skills.values()],

    async create(input: SkillInput, correlationId: string): Promise<Skill> {
      const now = new Date().toISOString();
      const skill: Skill = defined({ skill_id: `skill-${randomUUID().slice(0, 8)}`, ...input, created_at: now, updated_at: now });
      skills.set(skill.skill_id, skill);
      const payload: SkillCreatedInput = {
        data: defined({
          skill_id: skill.skill_id,
          name: skill.name,
          description: skill.description,
          version: skill.version,
          category: skill.category,
          created_by: skill.created_by,
        }),
      };
      trace.published(await client.publishSkillCreated(payload, { correlationId }), 'skill.created');
      return skill;
    },

    /** Undefined when the skill does not exist; `changes` is empty (and nothing published) when nothing changed. */
    async update(id: string, patch: SkillPatch, correlationId: string): Promise<{ skill: Skill; changes: SkillField[] } | undefined> {
      const skill = skills.get(id);
      if (!skill) return undefined;
      const changes = SKILL_FIELDS.filter((f) => patch[f] !== undefined && patch[f] !== skill[f]);
      if (changes.length === 0) return { skill, changes };
      const updated: Skill = { ...skill, ...defined(patch), updated_at: new Date().toISOString() };
      skills.set(id, updated);
      const payload: SkillUpdatedInput = { data: { skill_id: id, changes } };
      trace.published(await client.publishSkillUpdated(payload, { correlationId }), 'skill.updated', `changes=${changes.join(',')}`);
      return { skill: updated, changes };
    },

    async remove(id: string, correlationId: string, deletedBy?: string): Promise<boolean> {
      if (!skills.delete(id)) return false;
      const payload: SkillDeletedInput = { data: defined({ skill_id: id, deleted_by: deletedBy }) };
      trace.published(await client.publishSkillDeleted(payload, { correlationId }), 'skill.deleted');
      return true;
    },

    close: () => client.close(),
  };
}

export type SkillService = ReturnType<typeof startSkillService>;
