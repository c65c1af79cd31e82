/** The agent's version, reported in enrollments; `version.test.ts` keeps it equal to agent/package.json. */
export const AGENT_VERSION = '0.1.0';
