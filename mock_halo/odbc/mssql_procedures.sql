-- Bp Premier's stored procedures as mock-halo emulates them (mock_halo/sql/bp/*.py),
-- written in T-SQL so that they exist on a real SQL Server loaded with
-- `mock-halo fixtures --target`. Same parameters, result columns, return values
-- and row counts as the Python versions; the Python module named in each header
-- is the reference. Differences that cannot be avoided:
--   * GETDATE() is the server's clock, not the emulator's (virtual) clock;
--   * procedures that write leave NOCOUNT off, so their rows affected reach the caller.
-- Day of week: 1 = Sunday ... 7 = Saturday whatever SET DATEFIRST says
-- (1900-01-07 was a Sunday).

-- mock_halo/sql/bp/appointments.py: free 15-minute slots of a practitioner's sessions on a day.
CREATE OR ALTER PROCEDURE dbo.BP_GetFreeAppointments
    @userid INT,
    @aptdate DATE
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @dow INT = DATEDIFF(DAY, '19000107', @aptdate) % 7 + 1;
    WITH Slots AS (
        SELECT S.STARTTIME AS SlotTime, S.ENDTIME AS EndTime
        FROM dbo.SESSIONS S
        WHERE S.RECORDSTATUS = 1 AND S.USERID = @userid AND S.DAYOFWEEK = @dow AND S.STARTTIME + 900 <= S.ENDTIME
        UNION ALL
        SELECT SlotTime + 900, EndTime FROM Slots WHERE SlotTime + 1800 <= EndTime
    )
    SELECT @userid AS UserID, @aptdate AS AppointmentDate, SL.SlotTime AS AppointmentTime, 900 AS AppointmentLength
    FROM Slots SL
    WHERE NOT EXISTS (
        SELECT 1 FROM dbo.APPOINTMENTS A
        WHERE A.RECORDSTATUS = 1 AND A.USERID = @userid AND A.APPOINTMENTDATE = @aptdate
          AND A.APPOINTMENTSTATUS <> 6
          AND A.APPOINTMENTTIME < SL.SlotTime + 900
          AND SL.SlotTime < A.APPOINTMENTTIME + CASE WHEN A.APPOINTMENTLENGTH > 1 THEN A.APPOINTMENTLENGTH ELSE 1 END)
    ORDER BY SL.SlotTime
    OPTION (MAXRECURSION 0);
END;
GO

-- mock_halo/sql/bp/appointments.py: book a slot; the new RECORDID is the return value.
CREATE OR ALTER PROCEDURE dbo.BP_AddAppointment
    @aptdate DATE,
    @apttime INT,
    @aptlen INT,
    @practitionerid INT,
    @patientid INT,
    @locationid INT
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    INSERT INTO dbo.APPOINTMENTS (INTERNALID, USERID, LOCATIONID, APPOINTMENTDATE, APPOINTMENTTIME,
                                  APPOINTMENTLENGTH, APPOINTMENTSTATUS, CREATED, UPDATED)
    VALUES (@patientid, @practitionerid, @locationid, @aptdate, @apttime, ISNULL(NULLIF(@aptlen, 0), 900), 1,
            @now, @now);
    RETURN CAST(SCOPE_IDENTITY() AS INT);
END;
GO

-- mock_halo/sql/bp/appointments.py: status 6 (Cancelled); returns 0, or 1 when no such appointment.
CREATE OR ALTER PROCEDURE dbo.BP_CancelAppointment
    @aptid INT
AS
BEGIN
    UPDATE dbo.APPOINTMENTS
    SET APPOINTMENTSTATUS = 6, UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- mock_halo/sql/bp/appointments.py: status 2 (Waiting) and the arrival time (seconds since midnight).
CREATE OR ALTER PROCEDURE dbo.BP_ArriveAppointment
    @aptid INT
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    UPDATE dbo.APPOINTMENTS
    SET APPOINTMENTSTATUS = 2, ARRIVALTIME = DATEDIFF(SECOND, CAST(CAST(@now AS DATE) AS DATETIME), @now),
        UPDATED = @now
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- mock_halo/sql/bp/appointments.py: type, length and reason; NULL keeps the current value.
CREATE OR ALTER PROCEDURE dbo.BP_UpdateAppointment
    @aptid INT,
    @apttype INT,
    @aptlen INT,
    @reason NVARCHAR(200)
AS
BEGIN
    UPDATE dbo.APPOINTMENTS
    SET APPOINTMENTCODE = COALESCE(@apttype, APPOINTMENTCODE),
        APPOINTMENTLENGTH = COALESCE(@aptlen, APPOINTMENTLENGTH),
        REASON = COALESCE(@reason, REASON),
        UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- mock_halo/sql/bp/appointments.py: new date, time, practitioner and location.
CREATE OR ALTER PROCEDURE dbo.BP_MoveAppointment
    @aptid INT,
    @aptdate DATE,
    @apttime INT,
    @practitionerid INT,
    @locationid INT
AS
BEGIN
    UPDATE dbo.APPOINTMENTS
    SET APPOINTMENTDATE = @aptdate, APPOINTMENTTIME = @apttime, USERID = @practitionerid, LOCATIONID = @locationid,
        UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- mock_halo/sql/bp/appointments.py: a patient's current appointments, oldest first.
CREATE OR ALTER PROCEDURE dbo.BP_GetPatientAppointments
    @patientid INT
AS
BEGIN
    SET NOCOUNT ON;
    SELECT A.RECORDID AS AppointmentID, A.APPOINTMENTDATE AS AppointmentDate, A.APPOINTMENTTIME AS AppointmentTime,
           A.APPOINTMENTLENGTH AS AppointmentLength, A.USERID AS UserID, S.STATUSTEXT AS Status, A.REASON AS Reason
    FROM dbo.APPOINTMENTS A
    LEFT JOIN dbo.APPOINTMENTSTATUSCODES S ON S.STATUSCODE = A.APPOINTMENTSTATUS
    WHERE A.RECORDSTATUS = 1 AND A.INTERNALID = @patientid
    ORDER BY A.APPOINTMENTDATE, A.APPOINTMENTTIME;
END;
GO

-- mock_halo/sql/bp/patients.py: current patients by first name, surname and date of birth.
CREATE OR ALTER PROCEDURE dbo.BP_GetPatientByNameDOB
    @firstname NVARCHAR(50),
    @surname NVARCHAR(40),
    @dob DATETIME
AS
BEGIN
    SET NOCOUNT ON;
    SELECT INTERNALID AS InternalID, FIRSTNAME AS Firstname, SURNAME AS Surname, DOB,
           MEDICARENO AS MedicareNo, MOBILEPHONE AS MobilePhone
    FROM dbo.PATIENTS
    WHERE RECORDSTATUS = 1 AND FIRSTNAME = @firstname AND SURNAME = @surname
      AND CAST(DOB AS DATE) = CAST(@dob AS DATE)
    ORDER BY INTERNALID;
END;
GO

-- mock_halo/sql/bp/patients.py: insert a patient; the new INTERNALID is the return value.
-- Missing text is '', missing codes and dates NULL; dates keep the day only.
CREATE OR ALTER PROCEDURE dbo.BP_AddPatient
    @titlecode INT = NULL,
    @firstname NVARCHAR(50),
    @middlename NVARCHAR(30) = NULL,
    @surname NVARCHAR(40),
    @preferredname NVARCHAR(30) = NULL,
    @address1 NVARCHAR(40) = NULL,
    @address2 NVARCHAR(40) = NULL,
    @city NVARCHAR(40) = NULL,
    @postcode NVARCHAR(4) = NULL,
    @postaladdress NVARCHAR(40) = NULL,
    @postalcity NVARCHAR(40) = NULL,
    @postalpostcode NVARCHAR(4) = NULL,
    @dob DATETIME,
    @sexcode INT = NULL,
    @homephone NVARCHAR(14) = NULL,
    @workphone NVARCHAR(14) = NULL,
    @mobilephone NVARCHAR(14) = NULL,
    @medicareno NVARCHAR(13) = NULL,
    @medicarelineno NVARCHAR(1) = NULL,
    @medicareexpiry NVARCHAR(10) = NULL,
    @pensioncode INT = NULL,
    @pensionno NVARCHAR(14) = NULL,
    @pensionexpiry DATETIME = NULL,
    @dvacode INT = NULL,
    @dvano NVARCHAR(14) = NULL,
    @recordno NVARCHAR(10) = NULL,
    @externalid NVARCHAR(20) = NULL,
    @email NVARCHAR(100) = NULL
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    INSERT INTO dbo.PATIENTS (TITLECODE, FIRSTNAME, MIDDLENAME, SURNAME, PREFERREDNAME, ADDRESS1, ADDRESS2, CITY,
                              POSTCODE, POSTALADDRESS, POSTALCITY, POSTALPOSTCODE, DOB, SEXCODE, HOMEPHONE, WORKPHONE,
                              MOBILEPHONE, MEDICARENO, MEDICARELINENO, MEDICAREEXPIRY, PENSIONCODE, PENSIONNO,
                              PENSIONEXPIRY, DVACODE, DVANO, RECORDNO, EXTERNALID, EMAIL, CREATED, UPDATED)
    VALUES (@titlecode, ISNULL(@firstname, ''), ISNULL(@middlename, ''), ISNULL(@surname, ''),
            ISNULL(@preferredname, ''), ISNULL(@address1, ''), ISNULL(@address2, ''), ISNULL(@city, ''),
            ISNULL(@postcode, ''), ISNULL(@postaladdress, ''), ISNULL(@postalcity, ''), ISNULL(@postalpostcode, ''),
            CAST(CAST(@dob AS DATE) AS DATETIME), @sexcode, ISNULL(@homephone, ''), ISNULL(@workphone, ''),
            ISNULL(@mobilephone, ''), ISNULL(@medicareno, ''), ISNULL(@medicarelineno, ''),
            ISNULL(@medicareexpiry, ''), @pensioncode, ISNULL(@pensionno, ''),
            CAST(CAST(@pensionexpiry AS DATE) AS DATETIME), @dvacode, ISNULL(@dvano, ''), ISNULL(@recordno, ''),
            ISNULL(@externalid, ''), ISNULL(@email, ''), @now, @now);
    RETURN CAST(SCOPE_IDENTITY() AS INT);
END;
GO

-- mock_halo/sql/bp/patients.py: a patient's current investigation reports, newest first.
CREATE OR ALTER PROCEDURE dbo.BP_GetInvestigationSummary
    @internalid INT
AS
BEGIN
    SET NOCOUNT ON;
    SELECT REPORTID AS ReportID, TESTNAME AS TestName, LAB AS Lab, REQUESTDATE AS RequestDate,
           REPORTDATE AS ReportDate, ABNORMAL AS Abnormal, RESULTTEXT AS Result
    FROM dbo.INVESTIGATIONS
    WHERE RECORDSTATUS = 1 AND INTERNALID = @internalid
    ORDER BY REPORTDATE DESC, REPORTID DESC;
END;
GO

-- mock_halo/sql/bp/patients.py: the fixture DDL has no message table; the message is accepted
-- (one row affected, return value 0) and not stored.
CREATE OR ALTER PROCEDURE dbo.BP_AddMessage
    @userid INT,
    @subject NVARCHAR(200),
    @message NVARCHAR(MAX)
AS
BEGIN
    DECLARE @accepted TABLE (USERID INT NULL);
    INSERT INTO @accepted (USERID) VALUES (@userid);
    RETURN 0;
END;
GO

-- mock_halo/sql/bp/users.py: every current user, by surname.
CREATE OR ALTER PROCEDURE dbo.BP_GetAllUsers
AS
BEGIN
    SET NOCOUNT ON;
    SELECT U.USERID AS UserID, ISNULL(T.TITLE, '') AS Title, U.FIRSTNAME AS Firstname, U.SURNAME AS Surname,
           U.PROVIDERNO AS ProviderNo, U.LOCATIONID AS LocationID
    FROM dbo.USERS U
    LEFT JOIN dbo.TITLES T ON T.TITLECODE = U.TITLECODE
    WHERE U.RECORDSTATUS = 1
    ORDER BY U.SURNAME, U.FIRSTNAME, U.USERID;
END;
GO

-- mock_halo/sql/bp/users.py: users who have an appointment book.
CREATE OR ALTER PROCEDURE dbo.BP_GetAppointmentBookUsers
AS
BEGIN
    SET NOCOUNT ON;
    SELECT U.USERID AS UserID, ISNULL(T.TITLE, '') AS Title, U.FIRSTNAME AS Firstname, U.SURNAME AS Surname,
           U.PROVIDERNO AS ProviderNo, U.LOCATIONID AS LocationID
    FROM dbo.USERS U
    LEFT JOIN dbo.TITLES T ON T.TITLECODE = U.TITLECODE
    WHERE U.RECORDSTATUS = 1 AND U.APPOINTMENTBOOK = 1
    ORDER BY U.SURNAME, U.FIRSTNAME, U.USERID;
END;
GO
