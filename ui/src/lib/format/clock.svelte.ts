/**
 * The time now, for the hints next to dates ("in 5 min" becomes "in 4 min"
 * without a reload): updated every 30 s while the component that made it is
 * shown. Call it while a component initialises.
 */
export function clock(periodMs = 30_000): { readonly now: Date } {
  let now = $state(new Date());
  $effect(() => {
    const timer = setInterval(() => (now = new Date()), periodMs);
    return () => clearInterval(timer);
  });
  return {
    get now() {
      return now;
    },
  };
}
