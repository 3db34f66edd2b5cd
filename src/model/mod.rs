//! The site model: typed values and the immutable, resolved site that the
//! renderers read.

mod ids;
mod paths;
mod site;
mod values;

pub use ids::{IdSpace, PageIds, own_id};
pub use paths::{BaseUrl, SitePath};
pub use site::{
    Asset, CatalogEntry, Config, Doc, Extra, Graph, MdId, NodeId, Paper, Phase, Project, Resource, Roadmap, Site, Tag,
    Topic,
};
pub use values::{Cost, Date, Duration, Hours, Id, ResourceKind, TimeUnit};
