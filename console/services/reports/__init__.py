"""What the calls add up to, for supervisors and payroll: the period a report covers
(``periods``), tables as CSV and XLSX downloads (``exports``), the technicians' KPI and pay
(``kpi``) and the overview's figures and charts (``overview``)."""
