-- Demo data for deploy/run.sh only; never a migration. Safe to load again.

-- The funding call's high-poverty list is set by an admin in production;
-- the demo marks a few rural gminas so that pickers and reports show it.
UPDATE gminas SET high_poverty = true, version = version + 1, updated_at = now()
 WHERE teryt IN ('1602022', '1606042', '1608043', '1610032', '1604043')
   AND NOT high_poverty;

-- Demo users, one password for all of them: demo-haslo-2026 (printed by
-- deploy/run.sh). The hashes are argon2id of that password.
INSERT INTO users (username, partner, role, password_hash) VALUES
  ('admin', 'byczyna', 'admin', '$argon2id$v=19$m=19456,t=2,p=1$L2X7mirnOcqhtHUf00E1tA$B+LYpn3aGR1N9hRDSdpebQcMhyQco4I9oDE262XkkVQ'),
  ('koordynator.byczyna', 'byczyna', 'coordinator', '$argon2id$v=19$m=19456,t=2,p=1$jnOBubo+9kSgaJeObOQjXg$CDIY5mKdCTIC9tQ6p+98sJTlnwYCR/QiqU5Xy2JQ9hI'),
  ('doradca.byczyna', 'byczyna', 'advisor', '$argon2id$v=19$m=19456,t=2,p=1$hBMAdIP67i520lB1ZOsqtQ$rZkOqlbtuLbNhvd+Dpick/g3DbI1n+5z4nvywnFCGkQ'),
  ('koordynator.chorzow', 'chorzow', 'coordinator', '$argon2id$v=19$m=19456,t=2,p=1$2ZdnCAhCREJQU/ySK27M7g$InpiInJaIysG8bgmezyP+YvlH5grZwd5ETs2GflA2aY'),
  ('doradca.chorzow', 'chorzow', 'advisor', '$argon2id$v=19$m=19456,t=2,p=1$1eX37iZTviEgnJrZRm5mqg$JPe6WKkBPCpenDFK0kH4AO1pb5a7Y9Yzqdmmz072pWA'),
  ('audytor', 'byczyna', 'auditor', '$argon2id$v=19$m=19456,t=2,p=1$eQ2ZncDdiRvwxm8C/LZr5A$uO1uCfC2N600PWzvLGInPxAg5hUIrOMiYu+EDwxpMyY'),
  ('integracja', 'chorzow', 'integration', '$argon2id$v=19$m=19456,t=2,p=1$zzNIx7dK5T3TpXLsDh+2kg$KSv+25soIkDi9B9SWZCaAfLHQqR8tuWCVEy3U5CbYWk')
ON CONFLICT (username) DO NOTHING;
