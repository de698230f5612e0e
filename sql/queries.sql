-- Example queries over the hl-monitor schema (run them in the Supabase SQL editor or psql).
-- Each is checked by test/supabase/endToEnd.test.ts against a replayed session. Add
-- `where account_address = '0x…'` to look at one account.

-- name: realised_pnl_per_day
-- Realised PnL (net of fees) of the positions closed each day (UTC).
select account_address,
       date_trunc('day', closed_at) as day,
       count(*) as positions_closed,
       sum(realized_pnl) as realized_pnl,
       sum(fees) as fees
from public.closed_positions
group by account_address, day
order by account_address, day;

-- name: win_rate
-- Share of closed positions with a positive realised PnL, and the average win and loss.
select account_address,
       count(*) as positions_closed,
       count(*) filter (where realized_pnl > 0) as wins,
       round(100.0 * count(*) filter (where realized_pnl > 0) / nullif(count(*), 0), 2) as win_rate_pct,
       avg(realized_pnl) filter (where realized_pnl > 0) as average_win,
       avg(realized_pnl) filter (where realized_pnl <= 0) as average_loss
from public.closed_positions
group by account_address
order by account_address;

-- name: fees_paid
-- Fees paid per month and fee token (negative fees are rebates, shown apart).
select account_address,
       date_trunc('month', fill_time) as month,
       fee_token,
       sum(fee) as net_fees,
       coalesce(sum(fee) filter (where fee < 0), 0) as rebates,
       count(*) as fills
from public.fills
group by account_address, month, fee_token
order by account_address, month, fee_token;

-- name: largest_drawdown
-- Largest fall of cumulative realised PnL from its running peak (the peak starts at 0), with when the
-- fall bottomed out.
with equity as (
  select account_address,
         closed_at,
         sum(realized_pnl) over (partition by account_address order by closed_at_ms, position_id) as cumulative_pnl
  from public.closed_positions
),
drawdowns as (
  select account_address,
         closed_at,
         greatest(0, max(cumulative_pnl) over (partition by account_address order by closed_at
                                               rows between unbounded preceding and current row))
           - cumulative_pnl as drawdown
  from equity
)
select distinct on (account_address)
       account_address,
       drawdown as largest_drawdown,
       closed_at as bottom_at
from drawdowns
order by account_address, drawdown desc, closed_at;
