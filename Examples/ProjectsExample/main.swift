// projects-example: lists the projects the credentials can see (Resource Manager v3 search).
import GoogleAPICore
import GoogleCloudresourcemanager

let manager = try await CloudresourcemanagerClient()
for try await page in manager.projects.searchPages() {
    for project in page.projects ?? [] {
        print("\(project.projectId ?? "?")  \(project.name ?? "")  \(project.state?.rawValue ?? "")")
    }
}
await manager.shutdown()
