/**
 * What the e2e tests read off the console's Jobs page: its grid, the "N of M jobs" count and
 * the titles of the rows it shows.
 */
import type { Locator, Page } from 'playwright-core';

export function jobsPage(page: () => Page) {
  const grid = (): Locator => page().getByRole('grid', { name: 'Jobs' });
  /** "3 jobs", or "2 of 3 jobs" while filters hide some. */
  const countText = (): Promise<string> =>
    page()
      .getByRole('status')
      .filter({ hasText: / jobs?$/ })
      .textContent()
      .then((text) => text ?? '');
  /** The titles of the grid's rows, sorted. */
  const shownTitles = async (): Promise<string[]> => {
    const rows = grid().locator('[role="row"][data-id]');
    const titles = await rows.evaluateAll((els) =>
      els.map((el) => el.querySelector('[data-field="title"] p')?.textContent ?? ''),
    );
    return titles.sort();
  };
  return { grid, countText, shownTitles };
}
