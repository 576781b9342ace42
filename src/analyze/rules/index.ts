import type { Rule } from '../rule.ts';

/**
 * Every analysis rule, in the order reports list them. One import and one entry per rule file;
 * a rule not listed here does not run.
 */
export const RULES: Rule[] = [];
