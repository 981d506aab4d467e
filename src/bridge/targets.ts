// Response targets as the routes file sets them (docs/targets.md): the global ones, each route's overrides, and
// the digests. Pure: the file is read and checked in routing.ts; the clocks that use these are built elsewhere.
import type { BusinessHours, Weekday } from './business-hours.ts';
import type { RouteRule } from './routing.ts';

/** How soon a waiting conversation must be answered, and what happens around a miss. All durations in ms. */
export interface Targets {
  /** Until a teammate (a person) has replied. */
  firstResponseMs?: number | undefined;
  /** After a teammate has replied, each time the customer waits again. */
  nextResponseMs?: number | undefined;
  /** Warn this long before a target is missed (skipped for a target it is not shorter than). */
  warnBeforeMs?: number | undefined;
  /** Raise a missed target again this often until its clock stops. */
  repeatEveryMs?: number | undefined;
  /** Where a miss is raised besides the card's thread: a channel id, and user group (S…) or user (U…/W…) ids. */
  escalate?: { channel: string; mention: string[] } | undefined;
}

/** A list of the waiting conversations posted to `channel` at `at` ("HH:MM" in `timezone`) on `days`. */
export interface Digest {
  channel: string;
  at: string;
  timezone: string;
  days: Weekday[];
  /** Only conversations these routes (by name) carried; undefined: all. */
  routes?: string[] | undefined;
}

/** Everything a routes file says. Without `targets` anywhere the feature is off: see `targetsOn`. */
export interface RoutesFileConfig {
  routes: RouteRule[];
  businessHours?: BusinessHours | undefined;
  /** The global targets ({} when the file has none). */
  targets: Targets;
  digests: Digest[];
}

const KEYS = ['firstResponseMs', 'nextResponseMs', 'warnBeforeMs', 'repeatEveryMs', 'escalate'] as const;

/**
 * The targets of a conversation carried by route `routeName` (undefined: the global ones): the route's own keys
 * override the global ones key by key; `escalate` is one key. A route is found by its name or, for a rule without
 * one, by the label the router gives it (`routes[2]`); a name no rule has (a rule since removed from the file, or
 * the fallback channel's undefined) gets the global targets.
 */
export function targetsFor(config: RoutesFileConfig, routeName: string | null | undefined): Targets {
  const own = routeName == null ? undefined : findRoute(config.routes, routeName)?.targets;
  const merged: Targets = {};
  for (const key of KEYS) {
    const value = own?.[key] ?? config.targets[key];
    // absent keys stay absent, so a spread of the result cannot blank out another object's keys
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  return merged;
}

/** The rule named `name`, else the unnamed rule the router labels `name` (`routes[2]`). */
export function findRoute(routes: readonly RouteRule[], name: string): RouteRule | undefined {
  const named = routes.find((rule) => rule.name === name);
  if (named) return named;
  const index = /^routes\[(\d+)\]$/.exec(name)?.[1];
  const unnamed = index === undefined ? undefined : routes[Number(index)];
  return unnamed && unnamed.name === undefined ? unnamed : undefined;
}

/**
 * Whether any conversation has a target: a first_response or next_response, globally or in a route. Without one
 * there are no due times, warnings, misses or escalations.
 */
export function targetsOn(config: RoutesFileConfig): boolean {
  const sets = (t: Targets | undefined) => t?.firstResponseMs !== undefined || t?.nextResponseMs !== undefined;
  return sets(config.targets) || config.routes.some((rule) => sets(rule.targets));
}
