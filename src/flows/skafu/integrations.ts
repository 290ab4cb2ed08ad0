/**
 * The external systems of seed 002 behind interfaces: the AI (Claude in the seed) and
 * GitHub. The local implementations are deterministic and never touch the network; a
 * real client implements the same interface.
 */
import { createHash } from 'node:crypto';

export interface ProjectFacts {
  projectId: string;
  name: string;
  description?: string | undefined;
  ownerId: string;
}

export interface AiAnalysis {
  /** A UUID. */
  analysisId: string;
  summary: string;
  recommendations: string[];
}

export interface AiClient {
  analyse(project: ProjectFacts): Promise<AiAnalysis>;
}

export interface Repository {
  fullName: string;
  url: string;
  defaultBranch: string;
}

export interface GitHubClient {
  createRepository(project: ProjectFacts): Promise<Repository>;
}

/** An error of an integration, with what the error bus needs. */
export class IntegrationError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A UUID-shaped id derived from text (name-based, like UUID v5), so reruns give the same ids. */
export function stableUuid(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const slug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'project';

/** Recommendations from keywords of the project's name and description. */
export function createLocalAiClient(): AiClient {
  return {
    async analyse(p) {
      const text = `${p.name} ${p.description ?? ''}`.toLowerCase();
      const recommendations: string[] = [];
      if (/api|service|backend/.test(text)) recommendations.push('Validate every request body against a schema');
      if (/event|queue|stream/.test(text)) recommendations.push('Make consumers idempotent by event id');
      if (/web|frontend|ui/.test(text)) recommendations.push('Serve static assets from a CDN');
      recommendations.push('Add structured JSON logging with correlation ids');
      return {
        analysisId: stableUuid(`analysis:${p.projectId}`),
        summary: `${p.name}: ${recommendations.length} recommendation(s)`,
        recommendations,
      };
    },
  };
}

export interface LocalGitHubOptions {
  /** Project names whose repository creation fails (default: `fail-github`). */
  failFor?: (project: ProjectFacts) => boolean;
}

/** Repositories under https://github.invalid/<owner>/<slug> (RFC 2606: never resolves). */
export function createLocalGitHubClient(options: LocalGitHubOptions = {}): GitHubClient {
  const failFor = options.failFor ?? ((p: ProjectFacts) => p.name === 'fail-github');
  return {
    async createRepository(p) {
      if (failFor(p)) throw new IntegrationError(`GitHub API answered 503 creating the repository of ${p.name}`, 'GITHUB_UNAVAILABLE', true);
      const owner = slug(p.ownerId);
      const name = slug(p.name);
      return { fullName: `${owner}/${name}`, url: `https://github.invalid/${owner}/${name}`, defaultBranch: 'main' };
    },
  };
}

/** Template choice by keywords (the template catalogue of seed 002 is not specified). */
export function chooseTemplate(p: ProjectFacts): { templateId: string; reason: string } {
  const text = `${p.name} ${p.description ?? ''}`.toLowerCase();
  if (/event|queue|stream/.test(text)) return { templateId: 'event-driven-service', reason: 'mentions events or queues' };
  if (/web|frontend|ui/.test(text)) return { templateId: 'static-web-app', reason: 'mentions a web front end' };
  return { templateId: 'rest-api', reason: 'default template for services' };
}
