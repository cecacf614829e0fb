-- Demo data for deploy/run.sh only; never a migration. Safe to load again.

-- The funding call's high-poverty list is set by an admin in production;
-- the demo marks a few rural gminas so that pickers and reports show it.
UPDATE gminas SET high_poverty = true, version = version + 1, updated_at = now()
 WHERE teryt IN ('1602022', '1606042', '1608043', '1610032', '1604043')
   AND NOT high_poverty;
