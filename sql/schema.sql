-- hl-monitor: the Supabase / PostgreSQL (15 or newer) schema for DB_MODE=supabase.
--
-- Apply it to an empty database, and again after every upgrade: every statement is idempotent
-- (IF NOT EXISTS, CREATE OR REPLACE, DROP … IF EXISTS before CREATE). It also applies to plain
-- PostgreSQL: the Supabase roles are created when missing, and the Realtime publication is joined only
-- where it exists.
--
-- Conventions
-- - Money and quantities are NUMERIC, never float: the exact decimal strings of the API go in unchanged
--   (NUMERIC keeps their scale, so '0.000100' reads back as 0.000100).
-- - Times the monitor works with are epoch milliseconds (`*_ms bigint`); each has a generated
--   `timestamptz` twin for SQL (fill_time, snapshot_time, …).
-- - `metadata` holds the monitor's whole record as JSON (exact strings); the monitor reads that back, and
--   the columns are there for your queries.
-- - The monitor writes with the service-role key, which bypasses Row Level Security. RLS is on for every
--   table and no policy lets anyone else write. See sql/README.md to give a dashboard read access.

-- Supabase's API roles, for plain PostgreSQL (Supabase has them already).
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

-- Epoch milliseconds as a timestamptz (immutable, so generated columns can use it).
create or replace function public.hl_ms_to_timestamptz(ms bigint) returns timestamptz
  language sql immutable strict parallel safe
  as $$ select to_timestamp(ms / 1000.0) $$;

-- ---------------------------------------------------------------------------------------------------
-- fills: every fill of the monitored accounts, once.
create table if not exists public.fills (
  id bigint generated always as identity primary key,
  account_address text not null,
  -- The monitor's idempotency key: 't:<tid>', or 'c:<digest>' for old fills without a tid.
  fill_id text not null,
  tid bigint,
  time_ms bigint not null,
  fill_time timestamptz generated always as (public.hl_ms_to_timestamptz(time_ms)) stored,
  coin text not null,
  side text not null check (side in ('buy', 'sell')),
  price numeric not null,
  size numeric not null,
  -- Position before the fill (signed), and what the fill did ('Open Long', 'Close Short', …).
  start_position numeric not null,
  direction text not null,
  closed_pnl numeric not null,
  -- Total fee (negative: a rebate), in fee_token; builder fee included.
  fee numeric not null,
  fee_token text,
  order_id bigint not null,
  is_position_close boolean not null,
  is_liquidation boolean not null,
  is_perp boolean not null,
  tx_hash text not null,
  metadata jsonb not null,
  created_at timestamptz not null default now(),
  constraint fills_account_fill_id_key unique (account_address, fill_id)
);
-- One row per trade id and account (NULL tids, from before tids existed, never clash).
create unique index if not exists fills_account_tid_key on public.fills (account_address, tid);
create index if not exists fills_account_time_idx on public.fills (account_address, time_ms);
create index if not exists fills_coin_time_idx on public.fills (coin, time_ms);
create index if not exists fills_order_id_idx on public.fills (order_id);

-- ---------------------------------------------------------------------------------------------------
-- positions: the current position per account and coin (open, or flat after its last close).
create table if not exists public.positions (
  id bigint generated always as identity primary key,
  account_address text not null,
  coin text not null,
  -- Signed size: positive long, negative short, 0 flat.
  size numeric not null,
  side text check (side in ('long', 'short')),
  entry_price numeric,
  -- From the latest account snapshot (every minute) while the position is open.
  mark_price numeric,
  liquidation_price numeric,
  unrealized_pnl numeric,
  margin_used numeric,
  is_open boolean not null,
  opened_at timestamptz,
  -- Closed PnL minus fees of the current position so far (of the last one, once flat).
  realized_pnl numeric not null default 0,
  closed_at timestamptz,
  metadata jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint positions_account_coin_key unique (account_address, coin)
);
create index if not exists positions_open_idx on public.positions (account_address) where is_open;

-- closed_positions: every finished position, once, with its realised PnL net of fees.
create table if not exists public.closed_positions (
  id bigint generated always as identity primary key,
  account_address text not null,
  -- '<coin>#<openedAt>#<openFillId>': the same fills always give the same id.
  position_id text not null,
  coin text not null,
  side text not null check (side in ('long', 'short')),
  max_size numeric not null,
  closed_size numeric not null,
  entry_price numeric not null,
  exit_price numeric not null,
  opened_at_ms bigint not null,
  closed_at_ms bigint not null,
  opened_at timestamptz generated always as (public.hl_ms_to_timestamptz(opened_at_ms)) stored,
  closed_at timestamptz generated always as (public.hl_ms_to_timestamptz(closed_at_ms)) stored,
  duration_ms bigint not null,
  closed_pnl numeric not null,
  fees numeric not null,
  realized_pnl numeric not null,
  fill_count integer not null,
  liquidated boolean not null,
  -- The position was opened before the reachable history: entry and PnL cover only what was seen.
  partial_history boolean not null,
  metadata jsonb not null,
  created_at timestamptz not null default now(),
  constraint closed_positions_account_position_key unique (account_address, position_id)
);
create index if not exists closed_positions_account_closed_idx
  on public.closed_positions (account_address, closed_at_ms);

-- ---------------------------------------------------------------------------------------------------
-- hl_dashboard: an account snapshot every minute (kept `RETENTION_DAYS`, see hl_prune below).
create table if not exists public.hl_dashboard (
  id bigint generated always as identity primary key,
  account_address text not null,
  time_ms bigint not null,
  snapshot_time timestamptz generated always as (public.hl_ms_to_timestamptz(time_ms)) stored,
  account_value numeric not null,
  total_margin_used numeric not null,
  total_ntl_pos numeric not null,
  withdrawable numeric not null,
  total_unrealized_pnl numeric not null,
  leverage numeric,
  cross_margin_ratio numeric,
  -- 0 (liquidatable) to 100 (no margin in use).
  health_score numeric not null,
  positions_count integer not null,
  min_liquidation_distance numeric,
  metadata jsonb not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  constraint hl_dashboard_account_time_key unique (account_address, time_ms)
);
create index if not exists hl_dashboard_expires_idx on public.hl_dashboard (expires_at);

-- hl_orders: the latest state of every order.
create table if not exists public.hl_orders (
  id bigint generated always as identity primary key,
  order_id bigint not null,
  account_address text not null,
  coin text not null,
  side text not null check (side in ('buy', 'sell')),
  -- Remaining size, original size, limit price.
  size numeric not null,
  orig_size numeric not null,
  price numeric not null,
  status text not null,
  status_time_ms bigint not null,
  status_time timestamptz generated always as (public.hl_ms_to_timestamptz(status_time_ms)) stored,
  placed_at_ms bigint not null,
  cloid text,
  is_terminal boolean not null,
  -- status_time_ms·2 + (terminal ? 1 : 0): the newest state wins, a terminal status wins a tie.
  version bigint not null,
  metadata jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint hl_orders_order_id_key unique (order_id)
);
create index if not exists hl_orders_account_status_idx on public.hl_orders (account_address, status);

-- hl_cvd: cumulative volume delta per coin and minute, from public trades (kept `RETENTION_DAYS`).
create table if not exists public.hl_cvd (
  id bigint generated always as identity primary key,
  coin text not null,
  bucket_ms bigint not null,
  bucket_start timestamptz generated always as (public.hl_ms_to_timestamptz(bucket_ms)) stored,
  buy_volume numeric not null,
  sell_volume numeric not null,
  delta numeric not null,
  cvd numeric not null,
  trade_count integer not null,
  -- True when trades may have been missed in this minute (a reconnect gap).
  gap boolean not null,
  metadata jsonb not null,
  expires_at timestamptz not null,
  updated_at timestamptz not null default now(),
  constraint hl_cvd_coin_bucket_key unique (coin, bucket_ms)
);
create index if not exists hl_cvd_expires_idx on public.hl_cvd (expires_at);

-- ---------------------------------------------------------------------------------------------------
-- The monitor's own bookkeeping: the fill backfill cursor, and the alert outbox (each alert sent once).
create table if not exists public.hl_fill_cursors (
  account_address text primary key,
  time_ms bigint not null,
  -- Ids of the fills at time_ms already stored (several fills can share a millisecond).
  fill_ids text[] not null,
  updated_at_ms bigint not null
);

create table if not exists public.hl_alerts (
  owner text not null,
  key text not null,
  status text not null check (status in ('pending', 'sent', 'abandoned')),
  event jsonb not null,
  created_at_ms bigint not null,
  holder text not null,
  lease_until_ms bigint not null,
  attempts integer not null,
  sent_at_ms bigint,
  expires_at timestamptz not null,
  primary key (owner, key)
);
create index if not exists hl_alerts_pending_idx on public.hl_alerts (owner, created_at_ms)
  where status = 'pending';

-- ---------------------------------------------------------------------------------------------------
-- updated_at moves on every update of a position, an order or a CVD minute.
create or replace function public.hl_touch_updated_at() returns trigger
  language plpgsql
  as $$
begin
  new.updated_at := now();
  return new;
end
$$;

drop trigger if exists positions_touch_updated_at on public.positions;
create trigger positions_touch_updated_at before update on public.positions
  for each row execute function public.hl_touch_updated_at();
drop trigger if exists hl_orders_touch_updated_at on public.hl_orders;
create trigger hl_orders_touch_updated_at before update on public.hl_orders
  for each row execute function public.hl_touch_updated_at();
drop trigger if exists hl_cvd_touch_updated_at on public.hl_cvd;
create trigger hl_cvd_touch_updated_at before update on public.hl_cvd
  for each row execute function public.hl_touch_updated_at();

-- ---------------------------------------------------------------------------------------------------
-- Writes that need a condition, which PostgREST's plain upsert cannot express; the monitor calls them as
-- RPCs (POST /rest/v1/rpc/<name>). Only the service role may execute them.

-- Orders: insert, or replace only with a newer version (an older state never overwrites a newer one).
create or replace function public.hl_put_orders(p_orders jsonb) returns integer
  language sql
  as $$
  with written as (
    insert into public.hl_orders as o (order_id, account_address, coin, side, size, orig_size, price, status,
      status_time_ms, placed_at_ms, cloid, is_terminal, version, metadata)
    select r.order_id, r.account_address, r.coin, r.side, r.size, r.orig_size, r.price, r.status,
      r.status_time_ms, r.placed_at_ms, r.cloid, r.is_terminal, r.version, r.metadata
    from jsonb_to_recordset(p_orders) as r(order_id bigint, account_address text, coin text, side text,
      size numeric, orig_size numeric, price numeric, status text, status_time_ms bigint, placed_at_ms bigint,
      cloid text, is_terminal boolean, version bigint, metadata jsonb)
    on conflict (order_id) do update set
      account_address = excluded.account_address, coin = excluded.coin, side = excluded.side,
      size = excluded.size, orig_size = excluded.orig_size, price = excluded.price, status = excluded.status,
      status_time_ms = excluded.status_time_ms, placed_at_ms = excluded.placed_at_ms, cloid = excluded.cloid,
      is_terminal = excluded.is_terminal, version = excluded.version, metadata = excluded.metadata
    where o.version < excluded.version
    returning 1
  )
  select count(*)::integer from written
$$;

-- The fill cursor: never moves backwards; at the same time it keeps the union of the fill ids.
create or replace function public.hl_set_fill_cursor(p_account text, p_time_ms bigint, p_fill_ids jsonb,
  p_updated_at_ms bigint) returns integer
  language sql
  as $$
  with written as (
    insert into public.hl_fill_cursors as c (account_address, time_ms, fill_ids, updated_at_ms)
    values (p_account, p_time_ms, array(select jsonb_array_elements_text(p_fill_ids)), p_updated_at_ms)
    on conflict (account_address) do update set
      fill_ids = case when excluded.time_ms > c.time_ms then excluded.fill_ids
        else array(select distinct unnest(c.fill_ids || excluded.fill_ids) order by 1) end,
      updated_at_ms = case when excluded.time_ms > c.time_ms then excluded.updated_at_ms
        else greatest(c.updated_at_ms, excluded.updated_at_ms) end,
      time_ms = excluded.time_ms
    where excluded.time_ms >= c.time_ms
    returning 1
  )
  select count(*)::integer from written
$$;

-- An account snapshot, once per (account, time), and the market figures of the open positions in it.
create or replace function public.hl_put_account_snapshot(p_snapshot jsonb) returns integer
  language plpgsql
  as $$
declare
  inserted integer;
begin
  insert into public.hl_dashboard (account_address, time_ms, account_value, total_margin_used, total_ntl_pos,
    withdrawable, total_unrealized_pnl, leverage, cross_margin_ratio, health_score, positions_count,
    min_liquidation_distance, metadata, expires_at)
  select r.account_address, r.time_ms, r.account_value, r.total_margin_used, r.total_ntl_pos, r.withdrawable,
    r.total_unrealized_pnl, r.leverage, r.cross_margin_ratio, r.health_score, r.positions_count,
    r.min_liquidation_distance, r.metadata, r.expires_at
  from jsonb_to_record(p_snapshot) as r(account_address text, time_ms bigint, account_value numeric,
    total_margin_used numeric, total_ntl_pos numeric, withdrawable numeric, total_unrealized_pnl numeric,
    leverage numeric, cross_margin_ratio numeric, health_score numeric, positions_count integer,
    min_liquidation_distance numeric, metadata jsonb, expires_at timestamptz)
  on conflict (account_address, time_ms) do nothing;
  get diagnostics inserted = row_count;
  -- Only a snapshot newer than what the positions show updates them (snapshots may arrive late).
  update public.positions p set
    mark_price = (h->>'markPx')::numeric,
    liquidation_price = (h->>'liquidationPx')::numeric,
    unrealized_pnl = (h->>'unrealizedPnl')::numeric,
    margin_used = (h->>'marginUsed')::numeric
  from jsonb_array_elements(p_snapshot->'metadata'->'positions') as h
  where inserted = 1
    and p.account_address = p_snapshot->>'account_address'
    and p.coin = h->>'coin'
    and p.is_open
    and not exists (
      select 1 from public.hl_dashboard d
      where d.account_address = p.account_address and d.time_ms > (p_snapshot->>'time_ms')::bigint
    );
  return inserted;
end
$$;

-- Retention: deletes snapshots, CVD minutes and alert records past their expiry. Schedule it (see
-- sql/README.md) or run it by hand; returns how many rows went.
create or replace function public.hl_prune() returns integer
  language plpgsql
  as $$
declare
  total integer := 0;
  n integer;
begin
  delete from public.hl_dashboard where expires_at < now();
  get diagnostics n = row_count;
  total := total + n;
  delete from public.hl_cvd where expires_at < now();
  get diagnostics n = row_count;
  total := total + n;
  delete from public.hl_alerts where expires_at < now() and status <> 'pending';
  get diagnostics n = row_count;
  return total + n;
end
$$;

revoke all on function public.hl_put_orders(jsonb) from public, anon, authenticated;
revoke all on function public.hl_set_fill_cursor(text, bigint, jsonb, bigint) from public, anon, authenticated;
revoke all on function public.hl_put_account_snapshot(jsonb) from public, anon, authenticated;
revoke all on function public.hl_prune() from public, anon, authenticated;
grant execute on function public.hl_put_orders(jsonb) to service_role;
grant execute on function public.hl_set_fill_cursor(text, bigint, jsonb, bigint) to service_role;
grant execute on function public.hl_put_account_snapshot(jsonb) to service_role;
grant execute on function public.hl_prune() to service_role;

-- ---------------------------------------------------------------------------------------------------
-- Security: Row Level Security on every table, no policy for anon or authenticated (so they see and
-- change nothing), and no write privilege for them either. The service role bypasses RLS.
do $$
declare
  t text;
begin
  foreach t in array array['fills', 'positions', 'closed_positions', 'hl_dashboard', 'hl_orders', 'hl_cvd',
    'hl_fill_cursors', 'hl_alerts']
  loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke insert, update, delete, truncate on public.%I from anon, authenticated', t);
    execute format('grant select, insert, update, delete on public.%I to service_role', t);
  end loop;
end
$$;

-- Realtime: a live dashboard watches these (Supabase only; skipped where the publication is missing).
do $$
declare
  t text;
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    foreach t in array array['fills', 'positions', 'closed_positions', 'hl_dashboard']
    loop
      if not exists (
        select 1 from pg_publication_tables
        where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = t
      ) then
        execute format('alter publication supabase_realtime add table public.%I', t);
      end if;
    end loop;
  end if;
end
$$;
