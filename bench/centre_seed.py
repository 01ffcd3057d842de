"""Seeding a service centre's year for bench/centre.py: courts, cases, services, recipients,
deliveries and attempts, written by PostgreSQL itself (generate_series), so a million attempts
take about a minute rather than an hour of ORM inserts.

The shape follows the seed's county court scaled to a province: four attempts per recipient on
average (two electronic, two tasks), two recipients per service, one service per case; task
statuses spread over a year with most closed; 60 process servers and 4 dispatchers per centre.
"""
from __future__ import annotations

# (statement, the names of its parameters $1, $2, … in order)
SEED_SQL = [
    ('''INSERT INTO "court_case" ("court_id", "case_number", "cause", "judge", "clerk", "created_at")
       SELECT $1, '(2026)桂0000民初' || g || '号', '民间借贷纠纷', '张法官', '李书记员',
              $2::timestamptz + (g % 365) * interval '1 day'
       FROM generate_series(1, $3) g''',
     ('court', 'start', 'cases')),
    ('''INSERT INTO "service" ("court_id", "case_id", "source_system", "status", "expires_at", "revoke_reason", "created_at")
       SELECT $1, c."id", 'trial', CASE WHEN c."id" % 5 = 0 THEN 'in_progress' ELSE 'completed' END,
              c."created_at" + interval '30 days', '', c."created_at"
       FROM "court_case" c WHERE c."court_id" = $1''',
     ('court',)),
    ('''INSERT INTO "recipient" ("service_id", "position", "name", "role", "phone_cipher", "phone_index", "phone_masked",
                                "address", "consent_basis", "channels")
       SELECT s."id", p, '当事人' || s."id" || '-' || p, CASE p WHEN 0 THEN 'plaintiff' ELSE 'defendant' END,
              'k1:x', md5(s."id"::text || p::text), '138****0000',
              (ARRAY['广西壮族自治区南宁市兴宁区', '广西壮族自治区柳州市城中区', '广西壮族自治区桂林市秀峰区',
                     '广西壮族自治区北海市海城区'])[1 + (s."id" + p) % 4] || '某路' || p || '号',
              'confirmed', '["sms","portal","phone","mail"]'::jsonb
       FROM "service" s CROSS JOIN generate_series(0, 1) p WHERE s."court_id" = $1''',
     ('court',)),
    ('''INSERT INTO "delivery" ("service_id", "recipient_id", "channel", "state", "created_at", "signed_at", "failure_reason")
       SELECT r."service_id", r."id", ch, CASE WHEN r."id" % 3 = 0 THEN 'notified' ELSE 'signed' END, s."created_at",
              CASE WHEN r."id" % 3 = 0 THEN NULL ELSE s."created_at" + interval '2 hours' END, ''
       FROM "recipient" r JOIN "service" s ON s."id" = r."service_id" CROSS JOIN unnest(ARRAY['sms', 'portal']) ch
       WHERE s."court_id" = $1''',
     ('court',)),
    ('''INSERT INTO "attempt" ("court_id", "centre_id", "service_id", "recipient_id", "channel", "delivery_id", "status",
                              "area", "notes", "hand_back_reason", "failure_text", "effect_rule", "effect_reason",
                              "outcome", "method", "served_at", "closed_at", "created_at", "updated_at")
       SELECT $1, $2, d."service_id", d."recipient_id", d."channel", d."id",
              CASE WHEN d."state" = 'signed' THEN 'closed' ELSE 'in_progress' END, '', '', '', '', '', '',
              CASE WHEN d."state" = 'signed' THEN 'served' END, CASE WHEN d."state" = 'signed' THEN 'electronic' END,
              d."signed_at", d."signed_at", d."created_at", d."created_at"
       FROM "delivery" d JOIN "service" s ON s."id" = d."service_id" WHERE s."court_id" = $1''',
     ('court', 'centre')),
    ('''INSERT INTO "attempt" ("court_id", "centre_id", "service_id", "recipient_id", "channel", "status", "assignee_id",
                              "area", "due_at", "notes", "hand_back_reason", "failure_text", "effect_rule", "effect_reason",
                              "outcome", "failure_reason", "method", "served_at", "closed_at", "assigned_at",
                              "created_at", "updated_at")
       SELECT $1, $2, r."service_id", r."id", ch, st,
              CASE WHEN st IN ('assigned', 'in_progress', 'closed') THEN ($3::int[])[1 + (r."id" + k) % cardinality($3::int[])] END,
              split_part(r."address", '某路', 1), s."created_at" + interval '7 days', '', '', '', '', '',
              CASE WHEN st = 'closed' THEN CASE WHEN (r."id" + k) % 4 = 0 THEN 'failed' ELSE 'served' END END,
              CASE WHEN st = 'closed' AND (r."id" + k) % 4 = 0 THEN 'no_answer' END,
              CASE WHEN st = 'closed' AND (r."id" + k) % 4 <> 0 THEN CASE ch WHEN 'phone' THEN 'phone' ELSE 'mail' END END,
              CASE WHEN st = 'closed' AND (r."id" + k) % 4 <> 0 THEN s."created_at" + ((r."id" % 200) || ' hours')::interval END,
              CASE WHEN st = 'closed' THEN s."created_at" + ((r."id" % 200) || ' hours')::interval END,
              CASE WHEN st IN ('assigned', 'in_progress', 'closed') THEN s."created_at" + interval '1 hour' END,
              s."created_at", s."created_at"
       FROM "recipient" r JOIN "service" s ON s."id" = r."service_id"
       CROSS JOIN LATERAL (VALUES ('phone', 0), ('mail', 1)) AS t(ch, k)
       CROSS JOIN LATERAL (SELECT CASE
           WHEN (r."id" * 7 + k) % 100 < 3 THEN 'unassigned'
           WHEN (r."id" * 7 + k) % 100 < 4 THEN 'handed_back'
           WHEN (r."id" * 7 + k) % 100 < 8 THEN 'assigned'
           WHEN (r."id" * 7 + k) % 100 < 12 THEN 'in_progress'
           ELSE 'closed' END AS st) AS status_pick
       WHERE s."court_id" = $1''',
     ('court', 'centre', 'servers')),
    ('ANALYZE',
     ()),
]
