/**
 * The skills platform (seeds 000 and 001) as a runnable flow: REST API, skill,
 * generation, validation, notification, build and reporting services, each with its
 * own generated client on one shared transport. See app.ts for the services, demo.ts
 * for the scenario.
 */
import type { FlowSystem } from '../registry.js';
import { startSkillsPlatform, type SkillsPlatformRunning } from './app.js';
import { runSkillsPlatformDemo } from './demo.js';

export { startSkillsPlatform, type SkillsPlatformRunning } from './app.js';

export const skillsPlatform: FlowSystem = {
  id: 'skills-platform',
  title: 'Skills platform (seeds 000, 001): REST API, skill, generation, validation, notification, build and reporting services',
  transports: ['memory', 'kafka', 'redis'],
  start: startSkillsPlatform,
  demo: (running, options) => runSkillsPlatformDemo(running as SkillsPlatformRunning, options),
};
