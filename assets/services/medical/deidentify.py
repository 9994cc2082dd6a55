"""Which DICOM attributes may be stored and shown: none that identify the patient or the people around them.

The attributes of the DICOM basic application level confidentiality profile (PS3.15 Table E.1-1) are
left out of the metadata and raw tags, and so are, by rule rather than by name, private tags, person
names, sequences (nested items carry requests, referrals and other patients' IDs), instance UIDs and the
overlay and curve groups. Dates of the study and acquisition are kept: they are when the image was
taken, which a library is searched by (the profile's "retain longitudinal full dates" option).

Free text that survives (study and series descriptions, modality-written labels) is scrubbed of the
patient's names, IDs and birth date found in the same file. The original file is not changed.
"""
import re

# PS3.15 Table E.1-1, by keyword, where the rules below do not already catch the attribute.
PROFILE_KEYWORDS = frozenset({
    "AccessionNumber", "AcquisitionComments", "AcquisitionDeviceProcessingDescription",
    "AcquisitionProtocolDescription", "AdmissionID", "AdmittingDiagnosesDescription", "Allergies",
    "BranchOfService", "CassetteID", "ConfidentialityConstraintOnPatientDataDescription",
    "ContrastBolusAgent", "ContributionDescription", "CountryOfResidence", "CurrentPatientLocation",
    "DataSetTrailingPadding", "DerivationDescription", "DetectorID", "DeviceSerialNumber", "DischargeDiagnosisDescription",
    "DistributionAddress", "EthnicGroup", "FrameComments", "GantryID", "GeneratorID", "IdentifyingComments",
    "ImageComments", "ImagePresentationComments", "ImagingServiceRequestComments", "Impressions",
    "InstitutionAddress", "InstitutionName", "InstitutionalDepartmentName", "InsurancePlanIdentification",
    "InterpretationDiagnosisDescription", "InterpretationIDIssuer", "InterpretationText", "IssuerOfAdmissionID",
    "IssuerOfPatientID", "IssuerOfServiceEpisodeID", "MedicalAlerts", "MedicalRecordLocator", "MilitaryRank",
    "ModifiedImageDescription", "ModifyingDeviceID", "Occupation", "OrderCallbackPhoneNumber",
    "OrderEntererLocation", "OtherPatientIDs", "OtherPatientNames", "PerformedLocation",
    "PerformedProcedureStepDescription", "PerformedProcedureStepID", "PerformedStationAETitle",
    "PerformedStationName", "PersonAddress", "PersonTelephoneNumbers", "PlateID", "PreMedication",
    "PregnancyStatus", "ProtocolName", "ReasonForStudy", "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers", "RegionOfResidence", "RequestedContrastAgent",
    "RequestedProcedureComments", "RequestedProcedureDescription", "RequestedProcedureID",
    "RequestedProcedureLocation", "RequestingService", "ResponsibleOrganization", "ResultsComments",
    "ResultsIDIssuer", "ScheduledProcedureStepDescription", "ScheduledProcedureStepLocation",
    "ScheduledStationAETitle", "ScheduledStationName", "ScheduledStudyLocation",
    "ScheduledStudyLocationAETitle", "ServiceEpisodeDescription", "ServiceEpisodeID", "SmokingStatus",
    "SourceApplicationEntityTitle", "SpecialNeeds", "StationName", "StorageMediaFileSetID", "StudyComments",
    "StudyID", "StudyIDIssuer", "TextComments", "TextString", "TimezoneOffsetFromUTC", "TopicAuthor",
    "TopicKeywords", "TopicSubject", "TopicTitle", "VerifyingOrganization", "VisitComments",
    "AdditionalPatientHistory", "PhysiciansOfRecord", "ReferringPhysicianName", "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy", "OperatorsName", "RequestingPhysician", "ScheduledPerformingPhysicianName",
    "FillerOrderNumberImagingServiceRequest", "PlacerOrderNumberImagingServiceRequest",
    "SendingApplicationEntityTitle", "ReceivingApplicationEntityTitle", "ContentCreatorName",
    "ClinicalTrialSponsorName", "ClinicalTrialProtocolID", "ClinicalTrialProtocolName", "ClinicalTrialSiteID",
    "ClinicalTrialSiteName", "ClinicalTrialSubjectID", "ClinicalTrialSubjectReadingID",
    "ClinicalTrialTimePointID", "ClinicalTrialCoordinatingCenterName",
})
# Words that only appear in keywords of attributes about people, places and identifiers.
IDENTIFYING_WORDS = ("Patient", "Physician", "Operator", "Person", "Performer", "Address", "Telephone",
                     "Institution", "Issuer", "AETitle", "Comments")
# Geometry that happens to be named after the patient, and class (not instance) UIDs, are safe.
SAFE_KEYWORDS = frozenset({"PatientPosition", "PatientOrientation", "SOPClassUID", "MediaStorageSOPClassUID",
                           "TransferSyntaxUID"})
# Where identifying values are looked up, to scrub them from the free text that is kept.
IDENTIFIER_KEYWORDS = ("PatientName", "PatientID", "OtherPatientIDs", "OtherPatientNames", "PatientBirthName",
                       "PatientMotherBirthName", "PatientBirthDate", "AccessionNumber", "MedicalRecordLocator",
                       "PatientAddress", "PatientTelephoneNumbers", "StudyID", "AdmissionID")
REMOVED = "[removed]"


def is_identifying(element):
    """True for an attribute that must not leave the original file."""
    tag = element.tag
    if tag.is_private or 0x5000 <= tag.group <= 0x60FF or tag.element == 0x0000:
        return True  # private tags, curves and overlays (burnt-in text as graphics), group lengths
    keyword = element.keyword
    if keyword in SAFE_KEYWORDS:
        return False
    if element.VR in ("PN", "SQ", "UI", "UN") or not keyword:
        return True
    if keyword in PROFILE_KEYWORDS or keyword.endswith(("ID", "IDs")):
        return True
    return any(word in keyword for word in IDENTIFYING_WORDS)


def identifier_pattern(dataset):
    """A regex matching the patient's names, IDs and birth date as written in ``dataset`` (None if it has none)."""
    values = set()
    for keyword in IDENTIFIER_KEYWORDS:
        for value in _values(dataset.data_element(keyword) if keyword in dataset else None):
            text = str(value).strip()
            values.add(text)
            values.update(part for part in re.split(r"[\^=\s,]+", text))
            if keyword == "PatientBirthDate" and re.fullmatch(r"\d{8}", text):
                values.add(f"{text[:4]}-{text[4:6]}-{text[6:]}")
    words = sorted((value for value in values if len(value) >= 2), key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE)


def scrub(value, pattern):
    """``value`` (text, or lists and dicts of it) with every identifier replaced by ``[removed]``."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(REMOVED, value)
    if isinstance(value, list):
        return [scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, pattern) for key, item in value.items()}
    return value


def _values(element):
    if element is None or element.value in (None, ""):
        return []
    value = element.value
    return list(value) if element.VM > 1 else [value]
