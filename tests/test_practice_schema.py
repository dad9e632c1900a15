"""The fixture DDL: Bp Premier's real objects (bp-premier-schema 2-3), valid T-SQL, faithful SQLite translation."""

from __future__ import annotations

import re
import sqlite3

import pytest
import sqlglot
from sqlglot import exp

from mock_halo.practice import build_catalogue, column_types, copy_catalogue, sqlite_schema, table_columns
from mock_halo.practice.schema import fixtures_dir, split_batches, tsql_batches, tsql_ddl

#: bp-premier-schema 3.10: every BPS_* view of the 2019 scaffold, with its columns in order.
VIEW_COLUMNS: dict[str, list[str]] = {
    "BPS_Patients": [
        "InternalID", "ExternalID", "StatusText", "Title", "Firstname", "Middlename", "Surname", "Preferredname",
        "Address1", "Address2", "City", "Postcode", "PostalAddress", "PostalCity", "PostalPostcode", "DOB", "Sex",
        "Ethnicity", "HomePhone", "WorkPhone", "MobilePhone", "Email", "MedicareNo", "MedicareLineNo",
        "MedicareExpiry", "PensionNo", "PensionStart", "PensionExpiry", "PensionType", "DVANo", "SafetyNetNo",
        "RecordNo", "HCHTier", "HCHStart", "Religion", "HealthFundName", "HealthFundNo", "IHI", "UsualDoctor"],
    "BPS_PatientLogin": [
        "Surname", "Firstname", "UserName", "Password"],
    "BPS_Appointments": [
        "Patient", "InternalID", "AppointmentDate", "AppointmentTime", "AppointmentLength", "Provider", "Urgent",
        "AppointmentType", "Status", "ArrivalTime", "ConsultationTime", "BookedBy"],
    "BPS_Sessions": [
        "Day", "StartTime", "EndTime", "Length", "StartDate", "EndDate", "Provider"],
    "BPS_ExtraSessions": [
        "SessionDate", "StartTime", "EndTime", "Length", "Provider"],
    "BPS_DaysAway": [
        "StartDate", "FinishDate", "Reason", "Provider"],
    "BPS_Users": [
        "UserID", "Surname", "Firstname", "RegistrationNo", "ProviderNo", "PrescriberNo", "HomePhone",
        "MobilePhone", "Email", "Pager", "ABN", "Title", "GroupName", "LocationName"],
    "BPS_PracticeLocations": [
        "LocationID", "LocationName", "Address1", "Address2", "City", "PostCode", "Phone", "AHPhone", "Fax", "Email"],
    "BPS_Contacts": [
        "ContactID", "Title", "Firstname", "Surname", "Greeting", "Category", "AHPhone", "MobilePhone", "Pager",
        "Email", "ProviderNo", "ABN", "URL", "Comment"],
    "BPS_ContactAddresses": [
        "ContactID", "Title", "Firstname", "Surname", "Greeting", "Category", "Address1", "Address2", "City",
        "Postcode", "Phone", "Fax", "SiteEmail", "SiteComment", "AHPhone", "MobilePhone", "Pager", "Email",
        "ProviderNo", "ABN", "URL", "Comment"],
    "BPS_Visits": [
        "InternalID", "VisitID", "UserID", "VisitCode", "VisitType", "Confidential", "DrName", "VisitDate",
        "StartTime", "EndTime", "Duration", "ReviewDate", "VisitNotes", "Created"],
    "BPS_VisitReason": [
        "InternalID", "VisitID", "Provider", "VisitDate", "Reason"],
    "BPS_Clinical": [
        "InternalID", "KnownAllergies", "NoSignificantPastHistory", "NoSignificantFamilyHistory", "SmokingStatus",
        "BloodGroup", "Retired", "MaritalStatusName", "SexualityName", "EliteSports", "PaceMaker", "SocialHistory",
        "Recreation", "AccomodationText", "LivesWithText", "HasCarer", "IsCarer", "AdvanceCareDirective",
        "PowerOfAttorney"],
    "BPS_History": [
        "InternalID", "RECORDID", "Day", "Month", "Year", "Condition", "ConditionID", "Status", "Side", "Severity",
        "Acute", "Summary", "Fracture", "Displaced", "Compound", "Comminuted", "Spiral", "Greenstick", "Details",
        "SNOMED", "Created"],
    "BPS_AllHistory": [
        "InternalID", "Day", "Month", "Year", "Condition", "ConditionID", "Status", "Side", "Severity", "Acute",
        "Summary", "Fracture", "Displaced", "Compound", "Comminuted", "Spiral", "Greenstick", "Details", "SNOMED",
        "Created"],
    "BPS_Reactions": [
        "InternalID", "ItemName", "Reaction", "Severity", "Comment", "Created"],
    "BPS_CurrentRx": [
        "InternalID", "DrugName", "Dose", "Frequency", "Food", "OtherDetail", "PRN", "Instructions", "Route",
        "Quantity", "ProductUnit", "Repeats", "Indication", "FirstDate", "LastDate", "ProductID", "SCID", "SCIDNO",
        "Created", "RECORDID"],
    "BPS_Prescriptions": [
        "InternalID", "SCRIPTID", "ScriptDate", "ProductName", "ProductDescription", "Dose", "Frequency", "Food",
        "OtherDetail", "PRN", "Instructions", "Route", "Quantity", "ProductUnit", "Repeats", "RepeatInterval",
        "SAHCNo", "UserID", "RestrictionCode", "Authority", "AuthorityNumber", "ApprovalNumber",
        "AllowSubstitution", "Regulation24", "Provider", "SCID", "Created"],
    "BPS_Immunisations": [
        "InternalID", "RECORDID", "UserID", "GivenDate", "NotGivenHere", "VaccineName", "VaccineID", "BatchNumber",
        "Sequence", "ConsentCode", "SiteCode", "Route", "Comment", "VIVASPrinted", "ACIRTransmitted", "Provider",
        "Created"],
    "BPS_Observations": [
        "InternalID", "UserID", "ObservationDate", "RECORDID", "ObservationTime", "ObservationName",
        "ObservationCode", "ObservationValue", "Description", "Provider", "Created"],
    "BPS_Parameters": [
        "InternalID", "ObservationDate", "RECORDID", "ObservationName", "ObservationValue", "Provider", "Created"],
    "BPS_Alcohol": [
        "InternalID", "NonDrinker", "DaysPerweek", "DrinksPerday", "Description", "PastAlcoholLevel", "YearStarted",
        "YearStopped", "Comment"],
    "BPS_Tobacco": [
        "InternalID", "SmokingStatus", "SmokingType", "SmokesPerDay", "YearStarted", "PastSmokingStatus",
        "PastSmokesPerDay", "PastStarted", "PastStopped"],
    "BPS_FamilyHistory": [
        "InternalID", "Unknown", "FatherAlive", "FathersAgeAtDeath", "FathersCauseOfDeath", "MotherAlive",
        "MothersAgeAtDeath", "MothersCauseOfDeath", "Comment"],
    "BPS_FamilyHistoryDetail": [
        "InternalID", "RelationName", "Condition", "DiseaseCode", "Comment"],
    "BPS_OccupationHistory": [
        "InternalID", "OccupationName", "Description", "Employer", "YearStarted", "YearStopped", "Asbestos", "Dust",
        "Radiation", "Animals", "Comment", "ADFStatus"],
    "BPS_Diabetes": [
        "InternalID", "UserID", "DateRecorded", "DataName", "DiabetesValue", "DateValue", "Provider"],
    "BPS_Actions": [
        "InternalID", "RECORDID", "ActionText", "DueDate", "Added", "Priority", "Performed", "Provider", "Created"],
    "BPS_Reminders": [
        "InternalID", "REMINDERID", "ReasonText", "ReminderDue", "Recurring", "Sent", "Provider", "Location",
        "Created"],
    "BPS_EPCReports": [
        "ReportID", "InternalID", "ReportDate", "ReportType", "Stored", "Finalised", "Provider", "Created"],
    "BPS_All_History": [
        "InternalID", "RECORDSTATUS", "RECORDID", "Day", "Month", "Year", "Condition", "ConditionID", "Status",
        "Side", "Severity", "Acute", "Summary", "Fracture", "Displaced", "Compound", "Comminuted", "Spiral",
        "Greenstick", "Details", "Created", "SNOMED"],
    "BPS_All_Prescriptions": [
        "InternalID", "SCRIPTID", "ScriptDate", "RECORDSTATUS", "ProductName", "ProductDescription", "Dose",
        "Frequency", "Food", "OtherDetail", "PRN", "Instructions", "Route", "Quantity", "ProductUnit", "Repeats",
        "RepeatInterval", "SAHCNo", "UserID", "RestrictionCode", "Authority", "AuthorityNumber", "ApprovalNumber",
        "AllowSubstitution", "Regulation24", "Provider", "SCID", "Created"],
    "BPS_All_Immunisations": [
        "InternalID", "RECORDSTATUS", "RECORDID", "UserID", "GivenDate", "NotGivenHere", "VaccineName", "VaccineID",
        "BatchNumber", "Sequence", "ConsentCode", "SiteCode", "Route", "Comment", "VIVASPrinted", "ACIRTransmitted",
        "Provider", "Created"],
    "BPS_All_Observations": [
        "InternalID", "UserID", "ObservationDate", "RECORDSTATUS", "RECORDID", "ObservationTime", "ObservationName",
        "ObservationCode", "ObservationValue", "Description", "Provider", "Created"],
    "BPS_All_Parameters": [
        "InternalID", "ObservationDate", "RECORDSTATUS", "RECORDID", "ObservationName", "ObservationValue",
        "Provider", "Created"],
    "BPS_All_Actions": [
        "InternalID", "RECORDID", "ActionText", "RecordStatus", "DueDate", "Added", "Priority", "Performed",
        "Provider", "Created"],
    "BPS_All_Reminders": [
        "InternalID", "REMINDERID", "ReasonText", "RECORDSTATUS", "ReminderDue", "Recurring", "Sent", "Provider",
        "Location", "Created"],
    "BPS_All_Requests": [
        "InternalID", "RequestID", "RecordStatus", "RequestType", "RequestDate", "RequestStatus", "ProviderName",
        "RequestedTests", "ClinicalDetails", "Copies", "Provider", "Created"],
    "BPS_All_PapSmears": [
        "InternalID", "PapDate", "RECORDSTATUS", "Result", "RECORDID", "CSTType", "HPV16", "HPV18", "HPVOther",
        "HPV", "EndocervicalCells", "PerformedBy", "Comment", "Created"],
    "BPS_All_Pregnancies": [
        "PregnancyID", "InternalID", "PregnancyNumber", "EDCByDate", "RECORDSTATUS", "EDCByScan", "UseScan",
        "ScanDate", "Scanweeks", "Scandays", "ActualLMP", "DeliveryDate", "GestationLength", "IVF", "Diabetes",
        "Hypertension", "PreEclampsia", "RenalDisease", "OutcomeText", "Stage1", "Stage2", "Stage3", "Onset",
        "Delivery", "Augmentation", "Analgesia", "Perineum", "Placenta", "BloodLoss", "Anti_D", "Feeding",
        "DeliveryNotes", "Created"],
    "BPS_Investigations": [
        "InternalID", "ProviderName", "Collected", "TestName", "Reported", "ReportTime", "ReportHeader",
        "ReportBody", "Normal", "Completed", "Confidential", "Checked", "CheckedBy", "Notation", "Action",
        "Actioned", "Comment", "Provider", "ReportID", "Stored", "Created"],
    "BPS_ReportValues": [
        "InternalID", "ReportID", "ReportDate", "ResultName", "LoincCode", "BPCode", "ResultValue", "Units",
        "Range", "AbnormalFlag"],
    "BPS_Requests": [
        "InternalID", "RequestID", "RequestType", "RequestDate", "RequestStatus", "ProviderName", "RequestedTests",
        "ClinicalDetails", "Copies", "Provider", "Created"],
    "BPS_CorrespondenceIn": [
        "InternalID", "DocumentID", "Stored", "CorrespondenceDate", "ContactName", "Category", "Subject", "Detail",
        "Comment", "Confidential", "UserReference", "Provider", "Created"],
    "BPS_CorrespondenceOut": [
        "InternalID", "CorrespondenceDate", "ContactName", "Subject", "RecordID", "Stored", "Comment",
        "Confidential", "Draft", "Provider", "Created"],
    "BPS_ClinicalImages": [
        "InternalID", "DocumentID", "Stored", "CorrespondenceDate", "Category", "Subject", "Detail", "Comment",
        "UserReference", "Provider", "Created"],
    "BPS_PapSmears": [
        "InternalID", "PapDate", "CSTType", "HPV16", "HPV18", "HPVOther", "Result", "HPVChanges",
        "EndocervicalCells", "PerformedBy", "Comment", "Created"],
    "BPS_ObsGyn": [
        "InternalID", "LastPapSmearDate", "LastPapSmearResult", "NotForSmears", "BreastFeeding", "GravidityKnown",
        "Gravidity", "Parity", "Miscarriages", "Terminations", "LNMP", "EDCByDate", "EDCByScan",
        "CurrentPregnancyID"],
    "BPS_Pregnancies": [
        "PregnancyID", "InternalID", "PregnancyNumber", "EDCByDate", "EDCByScan", "UseScan", "ScanDate",
        "Scanweeks", "Scandays", "ActualLMP", "DeliveryDate", "GestationLength", "IVF", "Diabetes", "Hypertension",
        "PreEclampsia", "RenalDisease", "OutcomeText", "Stage1", "Stage2", "Stage3", "Onset", "Delivery",
        "Augmentation", "Analgesia", "Perineum", "Placenta", "BloodLoss", "Anti_D", "Feeding", "DeliveryNotes",
        "Created"],
    "BPS_AntenatalVisits": [
        "InternalID", "PregnancyID", "VisitDate", "Weight", "Systolic", "Diastolic", "SizeByDates", "ClinicalSize",
        "FundusHeight", "FoetalHeartHeard", "FoetalHeartRate", "FoetalMovements", "AnkleOedema", "UrineProtein",
        "UrineGlucose", "UrineOther", "Presentation", "Position", "Engagement", "Comment", "Provider", "Created"],
    "BPS_Births": [
        "PregnancyID", "InternalID", "Firstname", "Sex", "Weight", "Live", "Apgar1", "Apgar5", "BirthOrder",
        "Created"],
    "BPS_Services": [
        "SERVICEID", "INTERNALID", "SERVICEDATE", "MBSITEM", "DESCRIPTION"],
}

#: bp-premier-schema 3.2: APPOINTMENTS, column by column (name, type, nullable).
APPOINTMENTS = [
    ("RECORDID", "INT", False), ("INTERNALID", "INT", False), ("RECORDSTATUS", "INT", False), ("USERID", "INT", False),
    ("LOCATIONID", "INT", False), ("VISITID", "INT", False), ("APPOINTMENTDATE", "DATETIME", False),
    ("APPOINTMENTTIME", "INT", False), ("APPOINTMENTLENGTH", "INT", False), ("APPOINTMENTCODE", "INT", False),
    ("APPOINTMENTTYPE", "INT", False), ("URGENT", "INT", False), ("REASON", "VARCHAR(500)", True),
    ("ARRIVALTIME", "INT", False), ("CONSULTATIONTIME", "INT", False), ("VISITLENGTH", "INT", False),
    ("ROOMID", "INT", False), ("OPERATIONID", "INT", False), ("BOOKEDBY", "INT", False), ("ACCOUNTTYPE", "INT", False),
    ("NNAC", "INT", False), ("PATIENTS", "INT", False), ("ITEMLIST", "VARCHAR(2000)", True),
    ("COMMENT", "VARCHAR(500)", True), ("REMINDERSENT", "INT", True), ("REMINDERSENTDATE", "DATETIME", True),
    ("REMINDERSENTUSERID", "INT", True), ("ATTENDANCECONFIRMED", "INT", True), ("ATTENDANCEUPDATED", "DATETIME", True),
    ("ATTENDANCEUPDATEDBY", "INT", True), ("CREATED", "DATETIME", False), ("CREATEDBY", "INT", False),
    ("UPDATED", "DATETIME", True), ("UPDATEDBY", "INT", True), ("FOLLOWUP", "INT", False),
    ("VIDEOURL", "VARCHAR(2000)", True),
]
#: A few PATIENTS columns (bp-premier-schema 3.1): fixed-width names, no e-mail column, the audit columns.
PATIENT_COLUMNS = {"INTERNALID": ("INT", False), "FIRSTNAME": ("CHAR(40)", True), "SURNAME": ("CHAR(40)", True),
                   "MOBILEPHONE": ("CHAR(14)", True), "MEDICARENO": ("CHAR(13)", True), "DOB": ("DATETIME", True),
                   "SEXCODE": ("INT", False), "CONSENTSMSREMINDER": ("INT", False), "CREATEDBY": ("INT", False),
                   "IHISTATUS": ("INT", False), "OTHERNOTES": ("VARCHAR(1000)", True), "CITIZEN": ("TINYINT", True)}


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    return build_catalogue("BestPractice", "BPSPatients", 42, 200)


def all_batches() -> list[tuple[str, str]]:
    return [(name, batch) for name, batches in tsql_batches() for batch in batches]


def test_split_batches_on_go_lines() -> None:
    script = "CREATE TABLE dbo.A (X INT);\nGO\n-- only a comment\nGO\n  go  \nCREATE VIEW dbo.V AS SELECT X FROM A;\nGO"
    assert split_batches(script) == ["CREATE TABLE dbo.A (X INT);", "CREATE VIEW dbo.V AS SELECT X FROM A;"]


def test_ddl_files_exist_in_order() -> None:
    names = [p.name for p in sorted(fixtures_dir().glob("*.sql"))]
    assert names == ["01_lookups.sql", "02_other_tables.sql", "03_tables.sql", "04_indexes.sql", "05_views.sql"]
    assert [p.name for p in sorted(fixtures_dir(catalogue="BPSDrugs").glob("*.sql"))] == ["01_tables.sql"]


@pytest.mark.parametrize("name,batch", all_batches(), ids=lambda v: v if v.endswith(".sql") else "")
def test_every_ddl_batch_parses_as_tsql_without_command_fallback(name: str, batch: str) -> None:
    statements = [s for s in sqlglot.parse(batch, read="tsql") if s is not None]
    assert statements
    for statement in statements:
        assert isinstance(statement, exp.Create), statement.sql("tsql")[:60]
        assert not list(statement.find_all(exp.Command)), statement.sql("tsql")[:60]
    if any(s.args.get("kind") == "VIEW" for s in statements):
        assert len(statements) == 1, "SQL Server wants CREATE VIEW alone in its batch"


def test_ddl_is_split_into_tables_before_and_indexes_views_after() -> None:
    before, after = tsql_ddl()
    assert all("CREATE TABLE" in b for b in before) and len(before) == 448
    assert not any("CREATE VIEW" in b or "CREATE INDEX" in b for b in before)
    assert sum(b.count("CREATE VIEW") for b in after) == len(VIEW_COLUMNS) == 52


def test_views_avoid_constructs_sqlite_gets_wrong() -> None:
    for name, batch in all_batches():
        if name != "05_views.sql":
            continue
        tree = sqlglot.parse_one(batch, read="tsql")
        assert not list(tree.find_all(exp.Concat)), "CONCAT is missing from SQLite < 3.44"
        assert not list(tree.find_all(exp.National)), "N'' literals fail on SQLite"
        for add in tree.find_all(exp.Add):
            assert not any(isinstance(s, exp.Literal) and s.is_string for s in add.flatten()), "string +"
        for table in tree.expression.find_all(exp.Table):
            assert table.db == "", "view bodies use unqualified tables"


def test_every_scaffold_table_and_view_exists(db: sqlite3.Connection) -> None:
    schema = sqlite_schema()
    assert len(schema.table_names) == 448 and len(set(schema.table_names)) == 448
    assert {"PATIENTS", "EMAIL", "APPOINTMENTCODES", "APPOINTMENTTYPES", "DAYSAWAY", "INVOICES", "REPORTVALUES",
            "CORRESPONDENCEIN", "PatientPresence", "Transactions", "SMSReplies"} <= set(schema.table_names)
    assert list(schema.view_names) == list(VIEW_COLUMNS)
    found = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                      "AND name NOT LIKE 'sqlite%'")}  # SQLite's own (the planner's statistics)
    assert found == set(schema.table_names) | set(schema.view_names)


@pytest.mark.parametrize("view", list(VIEW_COLUMNS))
def test_view_columns_are_exactly_the_documented_ones(db: sqlite3.Connection, view: str) -> None:
    names = [row[1] for row in db.execute(f"PRAGMA table_info({view})")]
    assert names == VIEW_COLUMNS[view]
    assert [c for c, _ in column_types()[view]] == VIEW_COLUMNS[view]
    db.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()


def test_table_columns_follow_the_scaffold() -> None:
    columns = table_columns()
    assert [(c.name, c.type, c.nullable) for c in columns["APPOINTMENTS"]] == APPOINTMENTS
    patients = {c.name: (c.type, c.nullable) for c in columns["PATIENTS"]}
    assert len(columns["PATIENTS"]) == 119 and "EMAIL" not in patients
    assert {k: patients[k] for k in PATIENT_COLUMNS} == PATIENT_COLUMNS
    assert [c.name for c in columns["EMAIL"]] == ["RECORDID", "RECORDSTATUS", "INTERNALID", "EMAILCODE", "EMAIL",
                                                  "CREATED", "CREATEDBY", "UPDATED", "UPDATEDBY"]
    assert [(c.name, c.type) for c in columns["APPOINTMENTCODES"]] == [("APPOINTMENTCODE", "INT"),
                                                                      ("DESCRIPTION", "CHAR(20)")]
    reactions = {c.name: c.type for c in columns["REACTIONS"]}
    assert reactions["COMMENT"] == "VARCHAR(MAX)" and {c.name: c.type for c in columns["VISITS"]}["VISITNOTES"] == "TEXT"
    assert {c.name: c.type for c in columns["SMSMESSAGES"]}["MESSAGEID"] == "NVARCHAR(50)"


@pytest.mark.parametrize("name,batch", [(n, b) for n, b in all_batches() if "CREATE TABLE" in b[:600]][::7],
                         ids=lambda v: v if v.endswith(".sql") else "")
def test_table_translation_agrees_with_sqlglots_reading(name: str, batch: str) -> None:
    """The line-by-line CREATE TABLE translation sees the columns, keys and nullability sqlglot sees."""
    tree = sqlglot.parse_one(batch, read="tsql")
    table = tree.this.this.name
    decls = table_columns()[table]
    defs = [c for c in tree.this.expressions if isinstance(c, exp.ColumnDef)]
    assert [c.name for c in defs] == [d.name for d in decls]
    for definition, decl in zip(defs, decls, strict=True):
        kinds = [k.args.get("kind") for k in definition.args.get("constraints") or []]
        not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds)
        assert not_null == (not decl.nullable), (table, decl)
        assert any(isinstance(k, exp.GeneratedAsIdentityColumnConstraint) for k in kinds) == decl.identity, (table, decl)


def test_declared_types_keep_sql_server_names(db: sqlite3.Connection) -> None:
    info = {row[1]: row[2] for row in db.execute("PRAGMA table_info(PATIENTS)")}
    assert info["INTERNALID"] == "INTEGER"  # INT IDENTITY -> rowid alias
    assert (info["FIRSTNAME"], info["DOB"], info["PATIENTSTATUS"], info["CITIZEN"]) == (
        "CHAR(40)", "DATETIME", "INT", "TINYINT")
    assert {row[1]: row[2] for row in db.execute("PRAGMA table_info(REACTIONS)")}["COMMENT"] == "VARCHAR(-1)"
    view = {row[1]: row[2] for row in db.execute("PRAGMA table_info(BPS_Patients)")}
    assert (view["Firstname"], view["DOB"]) == ("CHAR(40)", "DATETIME")  # plain view columns inherit the type


def test_column_types_cover_computed_view_columns() -> None:
    types = column_types()
    assert dict(types["BPS_Patients"])["UsualDoctor"] == "VARCHAR(162)"
    assert dict(types["BPS_Patients"])["StatusText"] == "CHAR(12)"
    assert dict(types["BPS_Appointments"])["BookedBy"] == "VARCHAR(131)"
    assert dict(types["BPS_Appointments"])["Patient"] == "VARCHAR(81)"
    assert dict(types["BPS_Sessions"]) == {"Day": "CHAR(20)", "StartTime": "INT", "EndTime": "INT", "Length": "INT",
                                           "StartDate": "DATETIME", "EndDate": "DATETIME", "Provider": "VARCHAR(162)"}
    assert dict(types["BPS_Services"])["INTERNALID"] == "INT"
    assert dict(types["PATIENTS"])["INTERNALID"] == "INT"


def test_lookup_tables_hold_the_real_codes(db: sqlite3.Connection) -> None:
    def pairs(sql: str) -> dict:
        return dict(db.execute(sql).fetchall())

    codes = pairs("SELECT APPOINTMENTCODE, DESCRIPTION FROM APPOINTMENTCODES")
    assert (codes[1], codes[10]) == ("Booked", "Did not attend")
    assert pairs("SELECT DAYCODE, DAY FROM DAYOFWEEK")[1] == "Sunday"
    assert pairs("SELECT SMOKINGCODE, SMOKINGTEXT FROM SMOKINGSTATUS") == {
        0: "", 1: "Non smoker", 2: "Ex smoker", 3: "Smoker"}
    visit_types = pairs("SELECT VISITCODE, VISITTYPE FROM VISITTYPE")
    assert (visit_types[1], visit_types[12]) == ("Surgery", "Non Visit")
    for table, key in (("TITLES", "TITLECODE"), ("SEX", "SEXCODE"), ("PENSIONTYPE", "PENSIONCODE"),
                       ("DVATYPE", "DVACODE"), ("NEXTOFKIN", "NEXTOFKINID"), ("USERS", "USERID")):
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE {key} = 0").fetchone()[0] == 1, table


def test_foreign_keys_hold_in_the_generated_data(db: sqlite3.Connection) -> None:
    copy = copy_catalogue(db)
    assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
    foreign = {(r[2], r[3]) for r in copy.execute("PRAGMA foreign_key_list(PATIENTS)")}
    assert {("SEX", "SEXCODE"), ("TITLES", "TITLECODE"), ("NEXTOFKIN", "NEXTOFKINID"), ("USERS", "USERID")} <= foreign


def test_text_columns_compare_case_insensitively(db: sqlite3.Connection) -> None:
    def count(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    active = count("SELECT COUNT(*) FROM BPS_Patients WHERE StatusText = 'Active'")
    assert active > 0
    assert count("SELECT COUNT(*) FROM BPS_Patients WHERE StatusText = 'ACTIVE'") == active
    surname = db.execute("SELECT SURNAME FROM PATIENTS LIMIT 1").fetchone()[0]
    assert count(f"SELECT COUNT(*) FROM PATIENTS WHERE SURNAME = '{surname.upper()}'") >= 1
    provider = db.execute("SELECT Provider FROM BPS_Appointments LIMIT 1").fetchone()[0]
    assert count(f"SELECT COUNT(*) FROM BPS_Appointments WHERE Provider = '{provider.lower()}'") >= 1
    assert count("SELECT COUNT(*) FROM BPS_Sessions WHERE Day = 'monday'") > 0


def test_identity_tables_number_new_rows(db: sqlite3.Connection) -> None:
    copy = copy_catalogue(db)
    top = copy.execute("SELECT MAX(RECORDID) FROM EMAIL").fetchone()[0]
    cur = copy.execute("INSERT INTO EMAIL (RECORDSTATUS, INTERNALID, EMAILCODE, EMAIL, CREATED, CREATEDBY) "
                       "VALUES (1, 1, 1, 'x@example.com', '2026-01-01T00:00:00', 0)")
    assert cur.lastrowid == top + 1
    with pytest.raises(sqlite3.IntegrityError):  # Bp's tables have no defaults: NOT NULL columns must be given
        copy.execute("INSERT INTO PATIENTS (FIRSTNAME, SURNAME) VALUES ('Test', 'Person')")


def test_sqlite_ddl_has_no_dbo_schema() -> None:
    schema = sqlite_schema()
    for ddl in schema.tables + schema.indexes + schema.views:
        assert not re.search(r"\bdbo\.", ddl), ddl[:80]


def test_drug_reference_catalogue() -> None:
    drugs = build_catalogue("BestPractice", "BPSDrugs", 1, 1)
    assert {r[0] for r in drugs.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite%'")} == {
        "PRODUCTS", "PRODUCTNAMES", "PRODUCT_INGREDIENT", "INGREDIENTS", "INGREDIENT_DRUGCLASS", "DRUGCLASSES",
        "VACCINES", "VACCINE_DISEASE", "VAXDISEASES"}
    assert drugs.execute("SELECT DISEASENAME FROM VAXDISEASES WHERE DISEASECODE = 9").fetchone() == ("Measels",)
    assert {c.name: c.type for c in table_columns(catalogue="BPSDrugs")["VAXDISEASES"]}["DISEASENAME"] == "CHAR(30)"
