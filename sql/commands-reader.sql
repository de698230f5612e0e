-- hl-monitor: a read-only role for the commands Lambda (DB_MODE=supabase). Apply after schema.sql, and
-- again after every upgrade: every statement is idempotent.
--
-- `hl_reader` may SELECT the tables the chat commands read, and nothing else: no write privilege, no
-- RPC, no alert outbox. Its key is a JWT whose `role` claim is `hl_reader`, signed with the project's JWT
-- secret (see sql/README.md); PostgREST switches to that role for each request, so the grants and the
-- policies below are all the key can do. The monitor's service key stays with the monitor.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'hl_reader') then
    create role hl_reader nologin noinherit;
  end if;
  -- PostgREST connects as `authenticator` and switches to the JWT's role: it must be a member.
  if exists (select 1 from pg_roles where rolname = 'authenticator') then
    grant hl_reader to authenticator;
  end if;
end
$$;

grant usage on schema public to hl_reader;

do $$
declare
  t text;
begin
  foreach t in array array['fills', 'positions', 'closed_positions', 'hl_dashboard', 'hl_orders',
    'hl_fill_cursors']
  loop
    execute format('revoke all on public.%I from hl_reader', t);
    execute format('grant select on public.%I to hl_reader', t);
    -- Row Level Security is on for every table (schema.sql): a policy lets this role read every row.
    execute format('drop policy if exists hl_reader_reads on public.%I', t);
    execute format('create policy hl_reader_reads on public.%I for select to hl_reader using (true)', t);
  end loop;
end
$$;
