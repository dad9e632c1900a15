-- Bp Premier's stored procedures as mock-halo emulates them (mock_halo/practice/procedures/*.py),
-- written in T-SQL so that they exist on a real SQL Server loaded with
-- `mock-halo fixtures --target`. Same parameters (names, types, defaults), result columns,
-- return values and row counts as the Python versions, which are the reference (the module
-- is named in each header; tests/test_odbc_mssql_procedures.py checks the declarations
-- match). Differences that cannot be avoided:
--   * GETDATE() is the server's clock, not the emulator's (virtual) clock;
--   * procedures that write leave NOCOUNT off, so their rows affected reach the caller.
-- Bp's tables have no column defaults: inserts name every NOT NULL column.
-- Day of week: 1 = Sunday ... 7 = Saturday whatever SET DATEFIRST says (1900-01-07 was a Sunday).

-- appointments.py: free slots of a practitioner's sessions on a day; an error when they are away.
CREATE OR ALTER PROCEDURE dbo.BP_GetFreeAppointments
    @aptdate DATE,
    @userid INT
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @day DATETIME = CAST(@aptdate AS DATETIME);
    DECLARE @dow INT = DATEDIFF(DAY, '19000107', @day) % 7 + 1;
    DECLARE @reason VARCHAR(100);
    SELECT TOP 1 @reason = RTRIM(ISNULL(AWAYREASON, '')) FROM dbo.DAYSAWAY
    WHERE RECORDSTATUS = 1 AND USERID = @userid AND STARTDATE <= @day AND FINISHDATE >= @day ORDER BY STARTDATE;
    IF @@ROWCOUNT > 0
    BEGIN
        DECLARE @who VARCHAR(162) = (SELECT LTRIM(RTRIM(ISNULL(RTRIM(T.TITLE) + ' ', '') + RTRIM(U.FIRSTNAME) + ' '
                                                        + RTRIM(U.SURNAME)))
                                     FROM dbo.USERS U LEFT JOIN dbo.TITLES T ON T.TITLECODE = U.TITLECODE
                                     WHERE U.USERID = @userid);
        DECLARE @message NVARCHAR(400) = ISNULL(@who, 'User ' + CAST(@userid AS VARCHAR(12))) + ' is away on that date ('
            + CONVERT(VARCHAR(10), @day, 103) + CASE WHEN @reason <> '' THEN ': ' + @reason ELSE '' END + ').';
        THROW 50000, @message, 1;
    END;
    WITH Sessions AS (
        SELECT STARTTIME, ENDTIME, CASE WHEN LENGTH > 0 THEN LENGTH ELSE 900 END AS SlotLength FROM dbo.SESSIONS
        WHERE RECORDSTATUS = 1 AND USERID = @userid AND DAYOFWEEK = @dow
          AND (STARTDATE IS NULL OR STARTDATE <= @day) AND (ENDDATE IS NULL OR ENDDATE >= @day)
        UNION ALL
        SELECT STARTTIME, ENDTIME, CASE WHEN LENGTH > 0 THEN LENGTH ELSE 900 END FROM dbo.EXTRASESSIONS
        WHERE RECORDSTATUS = 1 AND USERID = @userid AND SESSIONDATE = @day
    ), Slots AS (
        SELECT STARTTIME AS SlotTime, ENDTIME, SlotLength FROM Sessions WHERE STARTTIME + SlotLength <= ENDTIME
        UNION ALL
        SELECT SlotTime + SlotLength, ENDTIME, SlotLength FROM Slots WHERE SlotTime + 2 * SlotLength <= ENDTIME
    )
    SELECT SL.SlotTime AS AppointmentTime, SL.SlotLength AS AppointmentLength
    FROM Slots SL
    WHERE NOT EXISTS (
        SELECT 1 FROM dbo.APPOINTMENTS A
        WHERE A.RECORDSTATUS = 1 AND A.USERID = @userid AND A.APPOINTMENTDATE = @day
          AND A.APPOINTMENTTIME < SL.SlotTime + SL.SlotLength
          AND SL.SlotTime < A.APPOINTMENTTIME + CASE WHEN A.APPOINTMENTLENGTH > 1 THEN A.APPOINTMENTLENGTH ELSE 1 END)
    ORDER BY SL.SlotTime
    OPTION (MAXRECURSION 0);
END;
GO

-- appointments.py: 1 when a booking still in Booked status covers the time, else 0.
CREATE OR ALTER PROCEDURE dbo.BP_IsAppointmentBooked
    @userid INT,
    @aptdate DATE,
    @apttime INT
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (SELECT 1 FROM dbo.APPOINTMENTS WHERE RECORDSTATUS = 1 AND APPOINTMENTCODE = 1 AND USERID = @userid
               AND APPOINTMENTDATE = CAST(@aptdate AS DATETIME) AND APPOINTMENTTIME <= @apttime
               AND APPOINTMENTTIME + APPOINTMENTLENGTH > @apttime)
        RETURN 1;
    RETURN 0;
END;
GO

-- appointments.py: book a slot (type 1, no reason); the new RECORDID is the return value (0: no such patient).
CREATE OR ALTER PROCEDURE dbo.BP_AddAppointment
    @aptdate DATE,
    @apttime INT,
    @aptlen INT,
    @practitionerid INT,
    @patientid INT,
    @loginid INT = 0,
    @locationid INT = 1
AS
BEGIN
    EXEC @patientid = dbo.BP_AddAppointmentEx @aptdate = @aptdate, @apttime = @apttime, @appointmenttype = 1,
        @aptlen = @aptlen, @practitionerid = @practitionerid, @patientid = @patientid, @reason = '',
        @loginid = @loginid, @locationid = @locationid;
    RETURN @patientid;
END;
GO

-- appointments.py: book a slot with a type, a reason and a video link; the new RECORDID is the return value.
CREATE OR ALTER PROCEDURE dbo.BP_AddAppointmentEx
    @aptdate DATE,
    @apttime INT,
    @appointmenttype INT,
    @aptlen INT,
    @practitionerid INT,
    @patientid INT,
    @reason VARCHAR(500),
    @loginid INT = 0,
    @locationid INT = 1,
    @videourl VARCHAR(2000) = NULL
AS
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dbo.PATIENTS WHERE INTERNALID = @patientid AND RECORDSTATUS = 1) RETURN 0;
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    DECLARE @room INT = ISNULL((SELECT TOP 1 ROOMID FROM dbo.APPOINTMENTS WHERE USERID = @practitionerid
                                AND ROOMID <> 0 ORDER BY RECORDID DESC), 0);
    INSERT INTO dbo.APPOINTMENTS (INTERNALID, RECORDSTATUS, USERID, LOCATIONID, VISITID, APPOINTMENTDATE,
                                  APPOINTMENTTIME, APPOINTMENTLENGTH, APPOINTMENTCODE, APPOINTMENTTYPE, URGENT, REASON,
                                  ARRIVALTIME, CONSULTATIONTIME, VISITLENGTH, ROOMID, OPERATIONID, BOOKEDBY,
                                  ACCOUNTTYPE, NNAC, PATIENTS, CREATED, CREATEDBY, FOLLOWUP, VIDEOURL)
    VALUES (@patientid, 1, @practitionerid, ISNULL(@locationid, 1), 0, CAST(@aptdate AS DATETIME), @apttime,
            ISNULL(NULLIF(@aptlen, 0), 900), 1, ISNULL(NULLIF(@appointmenttype, 0), 1), 0, @reason, 0, 0, 0, @room,
            0, ISNULL(@loginid, 0), 0, 0, 0, @now, ISNULL(@loginid, 0), 0, @videourl);
    RETURN CAST(SCOPE_IDENTITY() AS INT);
END;
GO

-- appointments.py: RECORDSTATUS 2 with CANCELLATIONS and CANCELLEDAPPOINTMENTS rows; 0, or 1 when none.
CREATE OR ALTER PROCEDURE dbo.BP_CancelAppointment
    @aptid INT,
    @loginid INT = 0
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    DECLARE @patient INT, @user INT;
    SELECT @patient = INTERNALID, @user = USERID FROM dbo.APPOINTMENTS WHERE RECORDID = @aptid AND RECORDSTATUS = 1;
    UPDATE dbo.APPOINTMENTS SET RECORDSTATUS = 2, UPDATED = @now, UPDATEDBY = ISNULL(@loginid, 0)
    WHERE RECORDID = @aptid AND RECORDSTATUS = 1;
    IF @@ROWCOUNT = 0 RETURN 1;
    SET NOCOUNT ON;
    INSERT INTO dbo.CANCELLATIONS (RECORDSTATUS, INTERNALID, USERID, APPOINTMENTID, CREATED, CREATEDBY)
    VALUES (1, @patient, @user, @aptid, @now, ISNULL(@loginid, 0));
    INSERT INTO dbo.CANCELLEDAPPOINTMENTS (APPOINTMENTID, CANCELLEDBY, CANCELLEDDATE, CANCELLEDTIME, REASON)
    VALUES (@aptid, ISNULL(@loginid, 0), CAST(CAST(@now AS DATE) AS DATETIME),
            DATEDIFF(SECOND, CAST(CAST(@now AS DATE) AS DATETIME), @now), NULL);
    RETURN 0;
END;
GO

-- appointments.py: status Waiting (2) and the arrival time (seconds since midnight).
CREATE OR ALTER PROCEDURE dbo.BP_ArriveAppointment
    @aptid INT
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    UPDATE dbo.APPOINTMENTS
    SET APPOINTMENTCODE = 2, ARRIVALTIME = DATEDIFF(SECOND, CAST(CAST(@now AS DATE) AS DATETIME), @now), UPDATED = @now
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- appointments.py: back to Booked (1), arrival time 0.
CREATE OR ALTER PROCEDURE dbo.BP_UnarriveAppointment
    @aptid INT
AS
BEGIN
    UPDATE dbo.APPOINTMENTS
    SET APPOINTMENTCODE = 1, ARRIVALTIME = 0, UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- appointments.py: the patient confirmed by SMS (ATTENDANCECONFIRMED 1).
CREATE OR ALTER PROCEDURE dbo.BP_ConfirmAppointment
    @aptid INT
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    UPDATE dbo.APPOINTMENTS SET ATTENDANCECONFIRMED = 1, ATTENDANCEUPDATED = @now, UPDATED = @now
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- appointments.py: the patient declined by SMS (ATTENDANCECONFIRMED 2).
CREATE OR ALTER PROCEDURE dbo.BP_DeclineAppointment
    @aptid INT
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    UPDATE dbo.APPOINTMENTS SET ATTENDANCECONFIRMED = 2, ATTENDANCEUPDATED = @now, UPDATED = @now
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- appointments.py: type, length and reason; NULL keeps the current value.
CREATE OR ALTER PROCEDURE dbo.BP_UpdateAppointment
    @aptid INT,
    @apttype INT,
    @aptlen INT,
    @reason VARCHAR(500)
AS
BEGIN
    UPDATE dbo.APPOINTMENTS
    SET APPOINTMENTTYPE = COALESCE(@apttype, APPOINTMENTTYPE), APPOINTMENTLENGTH = COALESCE(@aptlen, APPOINTMENTLENGTH),
        REASON = COALESCE(@reason, REASON), UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- appointments.py: new date, time, practitioner and location.
CREATE OR ALTER PROCEDURE dbo.BP_MoveAppointment
    @aptid INT,
    @aptdate DATE,
    @apttime INT,
    @practitionerid INT,
    @locationid INT
AS
BEGIN
    UPDATE dbo.APPOINTMENTS
    SET APPOINTMENTDATE = CAST(@aptdate AS DATETIME), APPOINTMENTTIME = @apttime, USERID = @practitionerid,
        LOCATIONID = @locationid, UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE RECORDID = @aptid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- appointments.py: one appointment with its patient, type and practitioner.
CREATE OR ALTER PROCEDURE dbo.BP_GetAppointmentDetails
    @aptid INT
AS
BEGIN
    SET NOCOUNT ON;
    SELECT P.FIRSTNAME AS Firstname, P.SURNAME AS Surname, A.APPOINTMENTDATE AS AppointmentDate,
           A.APPOINTMENTTIME AS AppointmentTime, A.APPOINTMENTTYPE AS AppointmentType, TY.DESCRIPTION AS Description,
           T.TITLE AS UserTitle, U.FIRSTNAME AS UserFirstname, U.SURNAME AS UserSurname
    FROM dbo.APPOINTMENTS A
    LEFT JOIN dbo.PATIENTS P ON P.INTERNALID = A.INTERNALID
    LEFT JOIN dbo.APPOINTMENTTYPES TY ON TY.APPOINTMENTCODE = A.APPOINTMENTTYPE
    LEFT JOIN dbo.USERS U ON U.USERID = A.USERID
    LEFT JOIN dbo.TITLES T ON T.TITLECODE = U.TITLECODE
    WHERE A.RECORDID = @aptid;
END;
GO

-- appointments.py: a patient's upcoming bookings (today on, not cancelled), soonest first.
CREATE OR ALTER PROCEDURE dbo.BP_GetPatientAppointments
    @patientid INT
AS
BEGIN
    SET NOCOUNT ON;
    SELECT A.RECORDID AS RecordID, A.APPOINTMENTCODE AS AppointmentCode, T.TITLE AS UserTitle, U.SURNAME AS UserSurname,
           A.APPOINTMENTDATE AS AppointmentDate, A.APPOINTMENTTIME AS AppointmentTime,
           A.APPOINTMENTTYPE AS AppointmentType
    FROM dbo.APPOINTMENTS A
    LEFT JOIN dbo.USERS U ON U.USERID = A.USERID
    LEFT JOIN dbo.TITLES T ON T.TITLECODE = U.TITLECODE
    WHERE A.RECORDSTATUS = 1 AND A.INTERNALID = @patientid AND A.APPOINTMENTDATE >= CAST(CAST(GETDATE() AS DATE) AS DATETIME)
    ORDER BY A.APPOINTMENTDATE, A.APPOINTMENTTIME;
END;
GO

-- appointments.py: a practitioner's bookings still in Booked status on a date (InternalID twice, as in Bp).
CREATE OR ALTER PROCEDURE dbo.BP_GetUserBookedAppointments
    @userid INT,
    @aptdate DATE
AS
BEGIN
    SET NOCOUNT ON;
    SELECT A.RECORDID AS RecordID, P.FIRSTNAME AS Firstname, P.SURNAME AS Surname, A.INTERNALID AS InternalID,
           P.INTERNALID AS InternalID, A.APPOINTMENTTIME AS AppointmentTime, A.APPOINTMENTLENGTH AS AppointmentLength,
           A.APPOINTMENTTYPE AS AppointmentType, A.APPOINTMENTCODE AS AppointmentCode, A.URGENT AS Urgent
    FROM dbo.APPOINTMENTS A
    LEFT JOIN dbo.PATIENTS P ON P.INTERNALID = A.INTERNALID
    WHERE A.RECORDSTATUS = 1 AND A.APPOINTMENTCODE = 1 AND A.USERID = @userid
      AND A.APPOINTMENTDATE = CAST(@aptdate AS DATETIME)
    ORDER BY A.APPOINTMENTTIME;
END;
GO

-- appointments.py: a practitioner's current days away that end on or after @start.
CREATE OR ALTER PROCEDURE dbo.BP_GetUserDaysAway
    @userid INT,
    @start DATE
AS
BEGIN
    SET NOCOUNT ON;
    SELECT RECORDID AS RecordID, USERID AS UserID, STARTDATE AS StartDate, FINISHDATE AS FinishDate,
           AWAYREASON AS Reason
    FROM dbo.DAYSAWAY
    WHERE RECORDSTATUS = 1 AND USERID = @userid AND FINISHDATE >= CAST(@start AS DATETIME)
    ORDER BY STARTDATE;
END;
GO

-- appointments.py: every current weekly session.
CREATE OR ALTER PROCEDURE dbo.BP_GetAllSessions
AS
BEGIN
    SET NOCOUNT ON;
    SELECT USERID AS UserID, LOCATIONID AS LocationID, DAYOFWEEK AS DayOfWeek, STARTTIME AS StartTime,
           ENDTIME AS EndTime, LENGTH AS Length, STARTDATE AS StartDate, ENDDATE AS EndDate, CYCLEDATE AS CycleDate,
           WEEKS AS Weeks, CYCLEWEEK AS CycleWeek
    FROM dbo.SESSIONS
    WHERE RECORDSTATUS = 1
    ORDER BY USERID, DAYOFWEEK, STARTTIME;
END;
GO

-- patients.py: insert a current, active patient; the new INTERNALID is the return value.
CREATE OR ALTER PROCEDURE dbo.BP_AddPatient
    @titlecode INT,
    @firstname VARCHAR(40),
    @middlename VARCHAR(30),
    @surname VARCHAR(40),
    @preferredname VARCHAR(30),
    @address1 VARCHAR(40),
    @address2 VARCHAR(40),
    @city VARCHAR(40),
    @postcode VARCHAR(4),
    @postaladdress VARCHAR(40),
    @postalcity VARCHAR(40),
    @postalpostcode VARCHAR(4),
    @dob DATETIME,
    @sexcode INT,
    @homephone VARCHAR(14),
    @workphone VARCHAR(14),
    @mobilephone VARCHAR(14),
    @medicareno VARCHAR(13),
    @medicarelineno VARCHAR(1),
    @medicareexpiry VARCHAR(10),
    @pensioncode INT,
    @pensionno VARCHAR(14),
    @pensionexpiry DATETIME,
    @dvacode INT,
    @dvano VARCHAR(14),
    @recordno VARCHAR(10),
    @externalid VARCHAR(12),
    @email VARCHAR(250),
    @headoffamilyid INT = 0,
    @ethniccode INT = 0,
    @consentsmsreminder INT = 0,
    @nextofkinid INT = 0,
    @gendercode INT = 0,
    @pronouncode INT = 0
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    INSERT INTO dbo.PATIENTS (RECORDSTATUS, EXTERNALID, IHISTATUS, IHIRECORDSTATUS, IHISOURCE, ORIGIN, PATIENTSTATUS,
                              TITLECODE, FIRSTNAME, MIDDLENAME, SURNAME, PREFERREDNAME, ADDRESS1, ADDRESS2, CITY,
                              POSTCODE, POSTALADDRESS, POSTALCITY, POSTALPOSTCODE, DOB, SEXCODE, ETHNICCODE, HOMEPHONE,
                              WORKPHONE, MOBILEPHONE, MEDICARENO, MEDICARELINENO, MEDICAREEXPIRY, PENSIONCODE,
                              PENSIONNO, PENSIONEXPIRY, DVACODE, DVANO, RECORDNO, HEALTHFUNDID, ACCOUNTCODE, USERID,
                              DENYACCESS, NOREMINDERS, CONTACTMETHOD, HEADOFFAMILYID, NEXTOFKINID, EMERGENCYID,
                              REFERRALCODE, ERX, DISPENSE, MEDVIEW, PHARMACYID, CTG, CONSENTSMSREMINDER, CREATED,
                              CREATEDBY, COUNTRY, DEFAULTVISITTYPE, HCHTIER, PublicFunding, FinDependant, CSCHolder,
                              HUCHolder, IWI, ETHNIC1CODE, ETHNIC2CODE)
    VALUES (1, ISNULL(@externalid, ''), 0, 0, 0, 0, 1, ISNULL(@titlecode, 0), @firstname, ISNULL(@middlename, ''),
            @surname, ISNULL(@preferredname, ''), ISNULL(@address1, ''), ISNULL(@address2, ''), ISNULL(@city, ''),
            ISNULL(@postcode, ''), ISNULL(@postaladdress, ''), ISNULL(@postalcity, ''), ISNULL(@postalpostcode, ''),
            CAST(CAST(@dob AS DATE) AS DATETIME), ISNULL(@sexcode, 0), ISNULL(@ethniccode, 0), ISNULL(@homephone, ''),
            ISNULL(@workphone, ''), ISNULL(@mobilephone, ''), ISNULL(@medicareno, ''), ISNULL(@medicarelineno, ''),
            ISNULL(@medicareexpiry, ''), ISNULL(@pensioncode, 0), ISNULL(@pensionno, ''),
            CAST(CAST(@pensionexpiry AS DATE) AS DATETIME), ISNULL(@dvacode, 0), ISNULL(@dvano, ''),
            ISNULL(@recordno, ''), 0, 0, 0, 0, 0, 0, ISNULL(@headoffamilyid, 0), ISNULL(@nextofkinid, 0), 0, 0, 0, 0, 0,
            0, 0, ISNULL(@consentsmsreminder, 0), @now, 0, 'Australia', 0, 0, 0, 0, 0, 0, 0, 0, 0);
    DECLARE @id INT = CAST(SCOPE_IDENTITY() AS INT);
    IF ISNULL(@email, '') <> ''
        INSERT INTO dbo.EMAIL (RECORDSTATUS, INTERNALID, EMAILCODE, EMAIL, CREATED, CREATEDBY)
        VALUES (1, @id, 1, @email, @now, 0);
    RETURN @id;
END;
GO

-- patients.py: every demographic field at once (and the e-mail address); 0, or 1 when there is no such patient.
CREATE OR ALTER PROCEDURE dbo.BP_UpdatePatient
    @patientid INT,
    @titlecode INT,
    @firstname VARCHAR(40),
    @middlename VARCHAR(30),
    @surname VARCHAR(40),
    @preferredname VARCHAR(30),
    @address1 VARCHAR(40),
    @address2 VARCHAR(40),
    @city VARCHAR(40),
    @postcode VARCHAR(4),
    @postaladdress VARCHAR(40),
    @postalcity VARCHAR(40),
    @postalpostcode VARCHAR(4),
    @dob DATETIME,
    @sexcode INT,
    @homephone VARCHAR(14),
    @workphone VARCHAR(14),
    @mobilephone VARCHAR(14),
    @medicareno VARCHAR(13),
    @medicarelineno VARCHAR(1),
    @medicareexpiry VARCHAR(10),
    @pensioncode INT,
    @pensionno VARCHAR(14),
    @pensionexpiry DATETIME,
    @dvacode INT,
    @dvano VARCHAR(14),
    @recordno VARCHAR(10),
    @externalid VARCHAR(12),
    @email VARCHAR(250),
    @headoffamilyid INT = 0,
    @ethniccode INT = 0,
    @consentsmsreminder INT = 0,
    @nextofkinid INT = 0,
    @emergencycontact INT = 0,
    @gendercode INT = 0,
    @pronouncode INT = 0
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    UPDATE dbo.PATIENTS
    SET TITLECODE = ISNULL(@titlecode, 0), FIRSTNAME = ISNULL(@firstname, ''), MIDDLENAME = ISNULL(@middlename, ''),
        SURNAME = ISNULL(@surname, ''), PREFERREDNAME = ISNULL(@preferredname, ''), ADDRESS1 = ISNULL(@address1, ''),
        ADDRESS2 = ISNULL(@address2, ''), CITY = ISNULL(@city, ''), POSTCODE = ISNULL(@postcode, ''),
        POSTALADDRESS = ISNULL(@postaladdress, ''), POSTALCITY = ISNULL(@postalcity, ''),
        POSTALPOSTCODE = ISNULL(@postalpostcode, ''), DOB = CAST(CAST(@dob AS DATE) AS DATETIME),
        SEXCODE = ISNULL(@sexcode, 0), HOMEPHONE = ISNULL(@homephone, ''), WORKPHONE = ISNULL(@workphone, ''),
        MOBILEPHONE = ISNULL(@mobilephone, ''), MEDICARENO = ISNULL(@medicareno, ''),
        MEDICARELINENO = ISNULL(@medicarelineno, ''), MEDICAREEXPIRY = ISNULL(@medicareexpiry, ''),
        PENSIONCODE = ISNULL(@pensioncode, 0), PENSIONNO = ISNULL(@pensionno, ''),
        PENSIONEXPIRY = CAST(CAST(@pensionexpiry AS DATE) AS DATETIME), DVACODE = ISNULL(@dvacode, 0),
        DVANO = ISNULL(@dvano, ''), RECORDNO = ISNULL(@recordno, ''), EXTERNALID = ISNULL(@externalid, ''),
        HEADOFFAMILYID = ISNULL(@headoffamilyid, 0), ETHNICCODE = ISNULL(@ethniccode, 0),
        CONSENTSMSREMINDER = ISNULL(@consentsmsreminder, 0), NEXTOFKINID = ISNULL(@nextofkinid, 0),
        EMERGENCYID = ISNULL(@emergencycontact, 0), UPDATED = @now
    WHERE INTERNALID = @patientid;
    IF @@ROWCOUNT = 0 RETURN 1;
    EXEC dbo.BP_UpdatePatientEmail @patientid = @patientid, @email = @email;
    RETURN 0;
END;
GO

-- patients.py: soft delete (RECORDSTATUS 2).
CREATE OR ALTER PROCEDURE dbo.BP_DeletePatient
    @patientid INT
AS
BEGIN
    UPDATE dbo.PATIENTS SET RECORDSTATUS = 2, UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE INTERNALID = @patientid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- patients.py: one current patient.
CREATE OR ALTER PROCEDURE dbo.BP_GetPatientByInternalID
    @patientid INT
AS
BEGIN
    SET NOCOUNT ON;
    SELECT P.INTERNALID AS InternalID, P.FIRSTNAME AS Firstname, P.SURNAME AS Surname, P.DOB,
           P.MEDICARENO AS MedicareNo, P.MEDICARELINENO AS MedicareLineNo, P.MEDICAREEXPIRY AS MedicareExpiry,
           P.PENSIONCODE AS PensionCode, P.PENSIONNO AS PensionNo, P.PENSIONEXPIRY AS PensionExpiry,
           P.HOMEPHONE AS HomePhone, P.WORKPHONE AS WorkPhone, P.MOBILEPHONE AS MobilePhone, P.ADDRESS1 AS Address1,
           P.CITY AS City, P.POSTCODE AS Postcode, E.EMAIL AS Email, P.DVACODE AS DVACode, P.DVANO AS DVANo
    FROM dbo.PATIENTS P
    LEFT JOIN dbo.EMAIL E ON E.INTERNALID = P.INTERNALID AND E.RECORDSTATUS = 1
    WHERE P.INTERNALID = @patientid AND P.RECORDSTATUS = 1;
END;
GO

-- patients.py: current patients by surname, first name and date of birth.
CREATE OR ALTER PROCEDURE dbo.BP_GetPatientByNameDOB
    @surname VARCHAR(40),
    @firstname VARCHAR(40),
    @dob DATETIME
AS
BEGIN
    SET NOCOUNT ON;
    SELECT P.INTERNALID AS InternalID, P.FIRSTNAME AS Firstname, P.SURNAME AS Surname, P.DOB,
           P.MEDICARENO AS MedicareNo, P.MEDICARELINENO AS MedicareLineNo, P.MEDICAREEXPIRY AS MedicareExpiry,
           P.PENSIONCODE AS PensionCode, P.PENSIONNO AS PensionNo, P.PENSIONEXPIRY AS PensionExpiry,
           P.HOMEPHONE AS HomePhone, P.WORKPHONE AS WorkPhone, P.MOBILEPHONE AS MobilePhone, P.ADDRESS1 AS Address1,
           P.CITY AS City, P.POSTCODE AS Postcode, E.EMAIL AS Email, P.DVACODE AS DVACode, P.DVANO AS DVANo
    FROM dbo.PATIENTS P
    LEFT JOIN dbo.EMAIL E ON E.INTERNALID = P.INTERNALID AND E.RECORDSTATUS = 1
    WHERE P.RECORDSTATUS = 1 AND P.SURNAME = @surname AND P.FIRSTNAME = @firstname
      AND CAST(P.DOB AS DATE) = CAST(@dob AS DATE)
    ORDER BY P.INTERNALID;
END;
GO

-- patients.py: current patients whose surname starts with @surname, born on @dob.
CREATE OR ALTER PROCEDURE dbo.BP_GetPatientByPartSurnameDOB
    @surname VARCHAR(40),
    @dob DATETIME
AS
BEGIN
    SET NOCOUNT ON;
    SELECT P.INTERNALID AS InternalID, P.FIRSTNAME AS Firstname, P.SURNAME AS Surname, P.DOB,
           P.MEDICARENO AS MedicareNo, P.MEDICARELINENO AS MedicareLineNo, P.MEDICAREEXPIRY AS MedicareExpiry,
           P.PENSIONCODE AS PensionCode, P.PENSIONNO AS PensionNo, P.PENSIONEXPIRY AS PensionExpiry,
           P.HOMEPHONE AS HomePhone, P.WORKPHONE AS WorkPhone, P.MOBILEPHONE AS MobilePhone, P.ADDRESS1 AS Address1,
           P.CITY AS City, P.POSTCODE AS Postcode, E.EMAIL AS Email, P.DVACODE AS DVACode, P.DVANO AS DVANo
    FROM dbo.PATIENTS P
    LEFT JOIN dbo.EMAIL E ON E.INTERNALID = P.INTERNALID AND E.RECORDSTATUS = 1
    WHERE P.RECORDSTATUS = 1
      AND P.SURNAME LIKE REPLACE(REPLACE(REPLACE(RTRIM(@surname), '[', '[[]'), '%', '[%]'), '_', '[_]') + '%'
      AND CAST(P.DOB AS DATE) = CAST(@dob AS DATE)
    ORDER BY P.INTERNALID;
END;
GO

-- patients.py: Medicare card.
CREATE OR ALTER PROCEDURE dbo.BP_UpdatePatientMedicare
    @patientid INT,
    @medicareno VARCHAR(13),
    @medicarelineno VARCHAR(1),
    @medicareexpiry VARCHAR(10)
AS
BEGIN
    UPDATE dbo.PATIENTS
    SET MEDICARENO = ISNULL(@medicareno, ''), MEDICARELINENO = ISNULL(@medicarelineno, ''),
        MEDICAREEXPIRY = ISNULL(@medicareexpiry, ''),
        UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE INTERNALID = @patientid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- patients.py: pension card.
CREATE OR ALTER PROCEDURE dbo.BP_UpdatePatientPension
    @patientid INT,
    @pensioncode INT,
    @pensionno VARCHAR(14),
    @pensionstart DATETIME,
    @pensionexpiry DATETIME
AS
BEGIN
    UPDATE dbo.PATIENTS
    SET PENSIONCODE = ISNULL(@pensioncode, 0), PENSIONNO = ISNULL(@pensionno, ''),
        PENSIONSTART = CAST(CAST(@pensionstart AS DATE) AS DATETIME),
        PENSIONEXPIRY = CAST(CAST(@pensionexpiry AS DATE) AS DATETIME),
        UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE INTERNALID = @patientid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- patients.py: DVA card.
CREATE OR ALTER PROCEDURE dbo.BP_UpdatePatientDVA
    @patientid INT,
    @dvacode INT,
    @dvano VARCHAR(14)
AS
BEGIN
    UPDATE dbo.PATIENTS
    SET DVACODE = ISNULL(@dvacode, 0), DVANO = ISNULL(@dvano, ''),
        UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE INTERNALID = @patientid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- patients.py: phone numbers.
CREATE OR ALTER PROCEDURE dbo.BP_UpdatePatientContacts
    @patientid INT,
    @homephone VARCHAR(14),
    @workphone VARCHAR(14),
    @mobilephone VARCHAR(14)
AS
BEGIN
    UPDATE dbo.PATIENTS
    SET HOMEPHONE = ISNULL(@homephone, ''), WORKPHONE = ISNULL(@workphone, ''), MOBILEPHONE = ISNULL(@mobilephone, ''),
        UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE INTERNALID = @patientid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- patients.py: street address.
CREATE OR ALTER PROCEDURE dbo.BP_UpdatePatientAddress
    @patientid INT,
    @address1 VARCHAR(40),
    @address2 VARCHAR(40),
    @city VARCHAR(40),
    @postcode VARCHAR(4)
AS
BEGIN
    UPDATE dbo.PATIENTS
    SET ADDRESS1 = ISNULL(@address1, ''), ADDRESS2 = ISNULL(@address2, ''), CITY = ISNULL(@city, ''),
        POSTCODE = ISNULL(@postcode, ''), UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE INTERNALID = @patientid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- patients.py: the e-mail address (table EMAIL, one current row per patient).
CREATE OR ALTER PROCEDURE dbo.BP_UpdatePatientEmail
    @patientid INT,
    @email VARCHAR(250)
AS
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dbo.PATIENTS WHERE INTERNALID = @patientid) RETURN 1;
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    UPDATE dbo.EMAIL SET EMAIL = ISNULL(@email, ''), UPDATED = @now, UPDATEDBY = 0
    WHERE INTERNALID = @patientid AND RECORDSTATUS = 1;
    IF @@ROWCOUNT = 0 AND ISNULL(@email, '') <> ''
        INSERT INTO dbo.EMAIL (RECORDSTATUS, INTERNALID, EMAILCODE, EMAIL, CREATED, CREATEDBY)
        VALUES (1, @patientid, 1, @email, @now, 0);
    RETURN 0;
END;
GO

-- patients.py: health fund.
CREATE OR ALTER PROCEDURE dbo.BP_UpdatePatientHealthFund
    @patientid INT,
    @healthfundno VARCHAR(20),
    @healthfundname VARCHAR(100),
    @healthfundid INT,
    @healthfundexpiry DATETIME
AS
BEGIN
    UPDATE dbo.PATIENTS
    SET HEALTHFUNDNO = ISNULL(@healthfundno, ''), HEALTHFUNDNAME = ISNULL(@healthfundname, ''),
        HEALTHFUNDID = ISNULL(@healthfundid, 0), HEALTHFUNDEXPIRY = CAST(CAST(@healthfundexpiry AS DATE) AS DATETIME),
        UPDATED = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE())
    WHERE INTERNALID = @patientid;
    IF @@ROWCOUNT = 0 RETURN 1;
    RETURN 0;
END;
GO

-- patients.py: the next of kin (NEXTOFKIN TYPE 1, PATIENTS.NEXTOFKINID).
CREATE OR ALTER PROCEDURE dbo.BP_SetNextOfKin
    @internalid INT,
    @titlecode INT,
    @surname VARCHAR(30),
    @firstname VARCHAR(30),
    @address VARCHAR(40),
    @city VARCHAR(40),
    @postcode VARCHAR(4),
    @contactphone VARCHAR(14),
    @relationship VARCHAR(20),
    @contactphone2 VARCHAR(14)
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    DECLARE @kin INT, @head INT;
    SELECT @kin = NEXTOFKINID, @head = HEADOFFAMILYID FROM dbo.PATIENTS WHERE INTERNALID = @internalid;
    IF @@ROWCOUNT = 0 RETURN 1;
    IF @kin <> 0
        UPDATE dbo.NEXTOFKIN
        SET TITLECODE = ISNULL(@titlecode, 0), SURNAME = @surname, FIRSTNAME = @firstname, ADDRESS = @address,
            CITY = @city, POSTCODE = @postcode, CONTACTPHONE = @contactphone, CONTACTPHONE2 = @contactphone2,
            RELATIONSHIP = @relationship, UPDATED = @now
        WHERE NEXTOFKINID = @kin;
    ELSE
    BEGIN
        INSERT INTO dbo.NEXTOFKIN (RECORDSTATUS, TITLECODE, SURNAME, FIRSTNAME, ADDRESS, CITY, POSTCODE, CONTACTPHONE,
                                   CONTACTPHONE2, RELATIONSHIP, CREATED, CREATEDBY, HEADOFFAMILYID, TYPE, INTERNALID)
        VALUES (1, ISNULL(@titlecode, 0), @surname, @firstname, @address, @city, @postcode, @contactphone,
                @contactphone2, @relationship, @now, 0, @head, 1, @internalid);
        UPDATE dbo.PATIENTS SET NEXTOFKINID = CAST(SCOPE_IDENTITY() AS INT), UPDATED = @now
        WHERE INTERNALID = @internalid;
    END;
    RETURN 0;
END;
GO

-- patients.py: the emergency contact (NEXTOFKIN TYPE 2, PATIENTS.EMERGENCYID).
CREATE OR ALTER PROCEDURE dbo.BP_SetEmergencyContact
    @internalid INT,
    @titlecode INT,
    @surname VARCHAR(30),
    @firstname VARCHAR(30),
    @address VARCHAR(40),
    @city VARCHAR(40),
    @postcode VARCHAR(4),
    @contactphone VARCHAR(14),
    @relationship VARCHAR(20),
    @contactphone2 VARCHAR(14)
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    DECLARE @kin INT, @head INT;
    SELECT @kin = EMERGENCYID, @head = HEADOFFAMILYID FROM dbo.PATIENTS WHERE INTERNALID = @internalid;
    IF @@ROWCOUNT = 0 RETURN 1;
    IF @kin <> 0
        UPDATE dbo.NEXTOFKIN
        SET TITLECODE = ISNULL(@titlecode, 0), SURNAME = @surname, FIRSTNAME = @firstname, ADDRESS = @address,
            CITY = @city, POSTCODE = @postcode, CONTACTPHONE = @contactphone, CONTACTPHONE2 = @contactphone2,
            RELATIONSHIP = @relationship, UPDATED = @now
        WHERE NEXTOFKINID = @kin;
    ELSE
    BEGIN
        INSERT INTO dbo.NEXTOFKIN (RECORDSTATUS, TITLECODE, SURNAME, FIRSTNAME, ADDRESS, CITY, POSTCODE, CONTACTPHONE,
                                   CONTACTPHONE2, RELATIONSHIP, CREATED, CREATEDBY, HEADOFFAMILYID, TYPE, INTERNALID)
        VALUES (1, ISNULL(@titlecode, 0), @surname, @firstname, @address, @city, @postcode, @contactphone,
                @contactphone2, @relationship, @now, 0, @head, 2, @internalid);
        UPDATE dbo.PATIENTS SET EMERGENCYID = CAST(SCOPE_IDENTITY() AS INT), UPDATED = @now
        WHERE INTERNALID = @internalid;
    END;
    RETURN 0;
END;
GO

-- patients.py: a non-visit note (VISITS, VISITCODE 12) holding the text.
CREATE OR ALTER PROCEDURE dbo.BP_AddClinicalNote
    @patientid INT,
    @visittext VARCHAR(MAX),
    @locationid INT
AS
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dbo.PATIENTS WHERE INTERNALID = @patientid AND RECORDSTATUS = 1) RETURN 1;
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    DECLARE @seconds INT = DATEDIFF(MINUTE, CAST(CAST(@now AS DATE) AS DATETIME), @now) * 60;
    INSERT INTO dbo.VISITS (INTERNALID, USERID, RECORDSTATUS, VISITCODE, DRNAME, VISITDATE, RECORDEDDATE, STARTTIME,
                            ENDTIME, DURATION, LOCATION, CONFIDENTIAL, VISITNOTES, CREATED, CREATEDBY)
    VALUES (@patientid, 0, 1, 12, '', @now, @now, @seconds, @seconds, 0, ISNULL(NULLIF(@locationid, 0), 1), 0,
            @visittext, @now, 0);
    RETURN 0;
END;
GO

-- patients.py: a patient's current investigation reports, newest first.
CREATE OR ALTER PROCEDURE dbo.BP_GetInvestigationSummary
    @InternalID INT
AS
BEGIN
    SET NOCOUNT ON;
    SELECT REPORTID AS ReportID, TESTNAME AS TestName, PROVIDERNAME AS ProviderName, COLLECTIONDATE AS Collected,
           REPORTDATE AS Reported, CHECKDATE AS Checked, NORMALFLAG AS Normal
    FROM dbo.INVESTIGATIONS
    WHERE RECORDSTATUS = 1 AND INTERNALID = @InternalID
    ORDER BY REPORTDATE DESC, REPORTID DESC;
END;
GO

-- users.py: every active user, by surname; Appointments = has an appointment book.
CREATE OR ALTER PROCEDURE dbo.BP_GetAllUsers
AS
BEGIN
    SET NOCOUNT ON;
    SELECT U.USERID AS UserID, U.SURNAME AS Surname, U.FIRSTNAME AS Firstname, G.GROUPNAME AS GroupName,
           U.APPOINTMENTS AS Appointments, U.LOCATIONID AS LocationID
    FROM dbo.USERS U
    LEFT JOIN dbo.USERGROUPS G ON G.GROUPCODE = U.GROUPCODE
    WHERE U.RECORDSTATUS = 1 AND U.USERSTATUS = 1 AND U.USERID <> 0
    ORDER BY U.SURNAME, U.FIRSTNAME, U.USERID;
END;
GO

-- users.py: the active users with an appointment book.
CREATE OR ALTER PROCEDURE dbo.BP_GetAppointmentBookUsers
AS
BEGIN
    SET NOCOUNT ON;
    SELECT U.USERID AS UserID, U.SURNAME AS Surname, U.FIRSTNAME AS Firstname, G.GROUPNAME AS GroupName,
           U.APPOINTMENTS AS Appointments, U.LOCATIONID AS LocationID
    FROM dbo.USERS U
    LEFT JOIN dbo.USERGROUPS G ON G.GROUPCODE = U.GROUPCODE
    WHERE U.RECORDSTATUS = 1 AND U.USERSTATUS = 1 AND U.USERID <> 0 AND U.APPOINTMENTS = 1
    ORDER BY U.SURNAME, U.FIRSTNAME, U.USERID;
END;
GO

-- users.py: the practice's current locations.
CREATE OR ALTER PROCEDURE dbo.BP_GetPracticeLocations
AS
BEGIN
    SET NOCOUNT ON;
    SELECT LOCATIONID AS LocationID, LOCATIONNAME AS LocationName, ADDRESS1 AS Address1, ADDRESS2 AS Address2,
           CITY AS City, POSTCODE AS Postcode, PHONE AS Phone, FAX AS Fax, EMAIL AS Email
    FROM dbo.LOCATIONS
    WHERE RECORDSTATUS = 1
    ORDER BY LOCATIONID;
END;
GO

-- users.py: one location's name and address.
CREATE OR ALTER PROCEDURE dbo.BP_GetPracticeLocation
    @locationid INT
AS
BEGIN
    SET NOCOUNT ON;
    SELECT LOCATIONNAME, ADDRESS1, ADDRESS2, CITY, POSTCODE, PHONE FROM dbo.LOCATIONS WHERE LOCATIONID = @locationid;
END;
GO

-- users.py: a message in the user's Bp inbox (MESSAGES), optionally about a patient.
CREATE OR ALTER PROCEDURE dbo.BP_AddMessage
    @userid INT,
    @subject VARCHAR(100),
    @message VARCHAR(MAX),
    @patid INT = 0
AS
BEGIN
    DECLARE @now DATETIME = DATEADD(MILLISECOND, -DATEPART(MILLISECOND, GETDATE()), GETDATE());
    INSERT INTO dbo.MESSAGES (MESSAGEID, MESSAGESTATUS, PRIORITY, USERID, FROMID, INTERNALID, MESSAGEDATE, MESSAGETIME,
                              SUBJECT, MESSAGE, CREATED, CREATEDBY)
    VALUES (0, 0, 0, @userid, 0, ISNULL(@patid, 0), CAST(CAST(@now AS DATE) AS DATETIME),
            DATEDIFF(SECOND, CAST(CAST(@now AS DATE) AS DATETIME), @now), @subject, @message, @now, 0);
    RETURN 0;
END;
GO
