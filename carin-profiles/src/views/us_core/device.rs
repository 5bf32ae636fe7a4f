//! `Device` in the US Core 6.1.0 profile `us-core-implantable-device`:
//! [`ImplantableDeviceView`].

use fhir_model::datatypes::Reference;
use fhir_model::resources::{Device, DeviceUdiCarrier};
use fhir_model::{DateTime, Resource};

use super::super::Concept;

/// `us-core-implantable-device`.
pub const PROFILE: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-implantable-device";

code_system! {
    /// `Device.status` (`http://hl7.org/fhir/device-status`, required binding).
    DeviceStatus = "http://hl7.org/fhir/device-status" {
        /// Active
        Active = "active", Some("Active");
        /// Inactive
        Inactive = "inactive", Some("Inactive");
        /// Entered in Error
        EnteredInError = "entered-in-error", Some("Entered in Error");
        /// Unknown
        Unknown = "unknown", Some("Unknown");
    }
}

/// The UDI of a device as its label carries it (`udiCarrier`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdiCarrier<'a> {
    /// `deviceIdentifier`: the UDI's device identifier (DI), 1..1.
    pub device_identifier: Option<&'a str>,
    /// `carrierHRF`: the full UDI in human-readable form, production identifiers included.
    pub carrier_hrf: Option<&'a str>,
    /// `issuer`: the issuing agency (GS1, HIBCC, ICCBBA).
    pub issuer: Option<&'a str>,
}

impl<'a> UdiCarrier<'a> {
    fn new(carrier: &'a DeviceUdiCarrier) -> UdiCarrier<'a> {
        UdiCarrier {
            device_identifier: carrier.device_identifier.as_str(),
            carrier_hrf: carrier.carrier_h_r_f.as_str(),
            issuer: carrier.issuer.as_str(),
        }
    }
}

/// A read-only view of an implantable `Device` in US Core terms.
#[derive(Clone, Copy, Debug)]
pub struct ImplantableDeviceView<'a> {
    device: &'a Device,
}

impl<'a> ImplantableDeviceView<'a> {
    /// A view of `device`.
    pub fn new(device: &'a Device) -> ImplantableDeviceView<'a> {
        ImplantableDeviceView { device }
    }

    /// A view of `resource` if it is a `Device`.
    pub fn from_resource(resource: &'a Resource) -> Option<ImplantableDeviceView<'a>> {
        resource.downcast_ref().map(ImplantableDeviceView::new)
    }

    /// The resource itself.
    pub fn device(&self) -> &'a Device {
        self.device
    }

    /// `udiCarrier` (0..1 in the profile): the first carrier.
    pub fn udi_carrier(&self) -> Option<UdiCarrier<'a>> {
        self.device.udi_carrier.first().map(UdiCarrier::new)
    }

    /// `status`: active, inactive, ...
    pub fn status(&self) -> Option<DeviceStatus> {
        self.device.status.as_str().map(DeviceStatus::from_code)
    }

    /// `type` (1..1): what kind of device (SNOMED CT).
    pub fn device_type(&self) -> Option<Concept<'a>> {
        self.device.r#type.as_ref().map(Concept::new)
    }

    /// `distinctIdentifier`: the distinct identification string of a tissue product.
    pub fn distinct_identifier(&self) -> Option<&'a str> {
        self.device.distinct_identifier.as_str()
    }

    /// `manufactureDate`.
    pub fn manufacture_date(&self) -> Option<DateTime> {
        self.device.manufacture_date.value
    }

    /// `expirationDate`.
    pub fn expiration_date(&self) -> Option<DateTime> {
        self.device.expiration_date.value
    }

    /// `lotNumber`.
    pub fn lot_number(&self) -> Option<&'a str> {
        self.device.lot_number.as_str()
    }

    /// `serialNumber`.
    pub fn serial_number(&self) -> Option<&'a str> {
        self.device.serial_number.as_str()
    }

    /// `patient` (1..1): in whom the device is implanted.
    pub fn patient(&self) -> Option<&'a Reference> {
        self.device.patient.as_ref()
    }
}
