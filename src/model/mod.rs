//! The typed model every stage shares: an [`Alert`] with its provenance, and the small value
//! types it is made of. The model imports no stage.

pub mod addr;
pub mod alert;
pub mod context;
pub mod proto;
pub mod time;

pub use addr::{Endpoint, Host};
pub use alert::{
    Alert, AppFields, Direction, Engine, FlowInfo, InputFormat, IpHeader, Location, Original,
    Packet, Provenance, SkipReason,
};
pub use context::{Action, ContextEvent, ContextKind};
pub use proto::IpProto;
pub use time::{Timestamp, YearSource};
